"""Mutations of real credentials for the validation tests: remove or break one Annex I element.

The base is the EU's sealed sample with an accreditation added to its qualification, which
makes it conform; each mutation then takes away exactly one element, wherever the JSON-LD
repeats the node that carries it (JSON-LD merges nodes by id).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

Json = dict[str, Any]

ACCREDITATION: Json = {
    "id": "urn:test:accreditation:1",
    "type": "Accreditation",
    "title": {"en": "Institutional quality assurance"},
    "dcType": {"id": "http://data.europa.eu/snb/accreditation/bb4618238e", "type": "Concept"},
    "accreditingAgent": {
        "id": "urn:test:org:agency",
        "type": "Organisation",
        "legalName": {"en": "Quality and Qualifications Agency"},
    },
}


def walk(node: Any) -> Iterator[Json]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def occurrences(doc: Json, node_id: str) -> list[Json]:
    return [node for node in walk(doc) if node.get("id") == node_id]


def strip(doc: Json, node_id: str, *keys: str) -> None:
    """Remove keys from every occurrence of a node; at least one must have been there."""
    removed = 0
    for node in occurrences(doc, node_id):
        for key in keys:
            removed += node.pop(key, None) is not None
    assert removed, f"nothing of {keys} on {node_id}"


def claim(doc: Json) -> Json:
    return doc["credentialSubject"]["hasClaim"]  # type: ignore[no-any-return]


def spec_id(doc: Json) -> str:
    return claim(doc)["specifiedBy"]["id"]  # type: ignore[no-any-return]


def awarding_body_id(doc: Json) -> str:
    return claim(doc)["awardedBy"]["awardingBody"]["id"]  # type: ignore[no-any-return]


def make_conforming(doc: Json) -> Json:
    for node in occurrences(doc, spec_id(doc)):
        node["accreditation"] = ACCREDITATION
    return doc


def _issuer_country(doc: Json) -> None:
    body = awarding_body_id(doc)
    strip(doc, body, "location")
    identifiers = {
        node[key]["id"]
        for node in occurrences(doc, body)
        for key in ("vatIdentifier", "registration", "eIDASIdentifier", "taxIdentifier")
        if isinstance(node.get(key), dict)
    }
    for identifier in identifiers:
        strip(doc, identifier, "spatial")


def _date_of_issue(doc: Json) -> None:
    assert doc.pop("issued", None) or doc.pop("issuanceDate", None)
    doc.pop("issuanceDate", None)


def _participation_form(doc: Json) -> None:
    strip(doc, spec_id(doc), "mode")
    activity = claim(doc).get("influencedBy", {}).get("specifiedBy", {})
    if "mode" in activity:
        strip(doc, activity["id"], "mode")


REMOVE_MANDATORY: dict[str, Callable[[Json], None]] = {
    "learner-identity": lambda d: strip(
        d,
        d["credentialSubject"]["id"],
        "fullName",
        "givenName",
        "familyName",
        "nationalID",
        "identifier",
    ),
    "title": lambda d: (strip(d, claim(d)["id"], "title"), strip(d, spec_id(d), "title")),  # type: ignore[func-returns-value]
    "issuer-country": _issuer_country,
    "awarding-body": lambda d: strip(d, awarding_body_id(d), "legalName", "prefLabel"),
    "date-of-issue": _date_of_issue,
    "learning-outcomes": lambda d: strip(
        d, spec_id(d), "learningOutcome", "learningOutcomeSummary"
    ),
    "workload": lambda d: strip(d, spec_id(d), "creditPoint", "volumeOfLearning"),
    "level": lambda d: strip(d, spec_id(d), "eqfLevel", "nqfLevel"),
    "assessment-type": lambda d: strip(d, claim(d)["provenBy"]["specifiedBy"]["id"], "dcType"),
    "participation-form": _participation_form,
    "quality-assurance": lambda d: strip(d, spec_id(d), "accreditation"),
}

REMOVE_OPTIONAL: dict[str, Callable[[Json], None]] = {
    "prerequisites": lambda d: strip(d, spec_id(d), "entryRequirement"),
    "supervision-and-identity-verification": lambda d: strip(
        d, claim(d)["provenBy"]["id"], "idVerification"
    ),
    "grade": lambda d: strip(d, claim(d)["provenBy"]["id"], "grade"),
    "integration-and-stackability": lambda d: strip(d, spec_id(d), "isPartialQualification"),
}


def _set_everywhere(doc: Json, node_id: str, key: str, value: Any) -> None:
    nodes = [n for n in occurrences(doc, node_id) if key in n]
    assert nodes, f"{node_id} has no {key}"
    for node in nodes:
        node[key] = value


def _bad_country(doc: Json) -> None:
    address = occurrences(doc, awarding_body_id(doc))[0]["location"]["address"]["id"]
    _set_everywhere(
        doc,
        address,
        "countryCode",
        {"id": "http://publications.europa.eu/resource/authority/country/XXZ", "type": "Concept"},
    )


def _bad_points(doc: Json) -> None:
    point = occurrences(doc, spec_id(doc))[0]["creditPoint"]["id"]
    _set_everywhere(doc, point, "point", "five")


BREAK_VALUE: dict[str, tuple[str, Callable[[Json], None]]] = {
    "eqf-level-9": (
        "level",
        lambda d: _set_everywhere(
            d, spec_id(d), "eqfLevel", {"id": "http://data.europa.eu/snb/eqf/9", "type": "Concept"}
        ),
    ),
    "non-numeric-ects": ("workload", _bad_points),
    "no-such-country": ("issuer-country", _bad_country),
    "malformed-issue-date": ("date-of-issue", lambda d: d.update(issued="2023-13-45T25:00:00Z")),
    "malformed-volume": (
        "workload",
        lambda d: _set_everywhere(d, spec_id(d), "volumeOfLearning", "sixty hours"),
    ),
}
