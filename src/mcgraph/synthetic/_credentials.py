"""One generated micro-credential: the nodes of its document and its two serialisations."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from mcgraph.errors import UsageError
from mcgraph.synthetic._graph import Node, Value
from mcgraph.synthetic._orgs import BASE, concept_node, provider_node
from mcgraph.synthetic._texts import FAMILY_NAMES, GIVEN_NAMES
from mcgraph.synthetic._vocab import GENERIC_PROFILE, SUPERVISION
from mcgraph.synthetic._world import SPEC_STRIDE, World, assessment_node, assessment_title

CONTEXT: tuple[str, str] = (
    "https://www.w3.org/2018/credentials/v1",
    "http://data.europa.eu/snb/model/context/edc-ap",
)
_JSON_HEAD = '{"@context":' + json.dumps(list(CONTEXT), separators=(",", ":")) + ","
_EPOCH = date(2021, 1, 1).toordinal()
_SPAN_DAYS = 4 * 365


@dataclass(frozen=True, slots=True)
class GeneratedCredential:
    """One synthetic EU micro-credential (ELM v3) and what was done to it.

    ``index`` counts from 0 in generation order; the IRI and file name use ``index + 1``.
    ``defect`` is the Annex I element key that was removed (``defect_kind`` ``"missing"``) or
    made wrong (``"invalid"``), or None for a credential that satisfies every mandatory element.
    """

    iri: str
    index: int
    defect: str | None
    defect_kind: str | None
    #: The specification the achievement is specified by (a copy of its own when the defect
    #: is in the specification, so the shared one stays intact).
    specification: str
    #: The awarding organisation, also the issuer (a copy of its own for an issuer-country or
    #: quality-assurance defect).
    awarding_body: str
    #: ISO 3166 alpha-3 code of the awarding organisation's country.
    country: str
    #: The specification this credential's specification is part of, if it stacks.
    part_of: str | None
    #: The document as a node tree (mcgraph.synthetic's internal model; both serialisations
    #: are written from it).
    root: Node = field(repr=False, compare=False)

    def to_json(self) -> str:
        """The JSON-LD document as compact one-line JSON text (UTF-8 safe, no trailing newline)."""
        return _JSON_HEAD + self.root.json()[1:]

    def to_jsonld(self) -> dict[str, Any]:
        """The JSON-LD document (EDC terms, W3C credentials v1 and EDC contexts), a fresh dict."""
        document: dict[str, Any] = json.loads(self.to_json())
        return document

    def to_nquads(self, graph_iri: str | None = None) -> str:
        """The same graph as N-Quads lines in the named graph ``graph_iri`` (default: the
        credential IRI); each triple once, literals typed as the EDC context types them."""
        return self.root.nquads(graph_iri or self.iri)


def generate(count: int, *, seed: int = 0, defective: float = 0.0) -> Iterator[GeneratedCredential]:
    """Yield ``count`` credentials, the same ones for the same arguments.

    A fraction ``defective`` of them (rounded to a whole number, spread over the stream) has
    exactly one Annex I mandatory element removed or broken; the element keys are dealt out in
    turn. Providers (about ``count / 50``, at least 20, across the EU/EEA) and specifications
    (one per four credentials) are shared nodes with stable IRIs; about 10% of specifications
    are part of an earlier one (chains of at most three).

    :raises UsageError: for a negative ``count`` or a ``defective`` outside 0..1 (at once,
        not at the first ``next``).
    """
    if count < 0:
        raise UsageError(f"count must be zero or more, not {count}")
    if not 0.0 <= defective <= 1.0:
        raise UsageError(f"defective must be a fraction between 0 and 1, not {defective}")
    world = World(count, seed, defective)
    return (_credential(world, i) for i in range(count))


def _specification_index(rng: random.Random, i: int) -> int:
    """Which shared specification credential ``i`` is specified by."""
    newest = i // SPEC_STRIDE
    if i % SPEC_STRIDE == 0:
        return newest  # credential i introduces specification i / SPEC_STRIDE
    if rng.random() < 0.15:
        return int(rng.random() * min(newest + 1, 32))  # a long-running popular course
    return max(0, newest - int(rng.expovariate(0.1)))  # a recent course


def _grade(rng: random.Random) -> str:
    u = rng.random()
    if u < 0.55:
        return "Pass"
    if u < 0.7:
        return "Pass with distinction"
    return str(60 + int(rng.random() * 41))  # a percentage


def _credential(world: World, i: int) -> GeneratedCredential:
    rng = random.Random(f"mcgraph/credential/{world.seed}/{i}")
    k = _specification_index(rng, i)
    spec, spec_node, assessment_spec = world.spec(k)
    provider, organisation = world.provider(spec.provider.index)
    defect = world.defect_of(i)
    key, kind = defect if defect else (None, None)
    iri = f"{BASE}credential/{i + 1}"

    if key == "issuer-country":
        organisation = provider_node(provider, f"{iri}/awarding-body", country_defect=kind)
    elif key == "awarding-body":
        organisation = provider_node(provider, f"{iri}/awarding-body", named=False)
    elif key == "quality-assurance" and provider.accreditation is not None:
        organisation = provider_node(provider, f"{iri}/awarding-body", accredited=False)
    if world.needs_own_spec(defect, spec):
        spec_node = world.spec_node(
            spec,
            f"{iri}/specification",
            drop=key if kind == "missing" else None,
            point="five" if key == "workload" and kind == "invalid" else None,
            invalid_level=key == "level" and kind == "invalid",
            accredited={"quality-assurance": False}.get(key or ""),
        )
    if key == "assessment-type":
        assessment_spec = assessment_node(spec, f"{iri}/assessment-specification", typed=False)

    day = _EPOCH + world.seed % 365 + i * _SPAN_DAYS // world.count + int(rng.random() * 21)
    hour = 8 + int(rng.random() * 10)
    awarded = f"{date.fromordinal(day).isoformat()}T{hour:02d}:00:00Z"
    issued_day = date.fromordinal(day + int(rng.random() * 4))
    issued = f"{issued_day.isoformat()}T{hour:02d}:30:00Z"
    born = (
        f"{issued_day.year - 19 - int(rng.random() * 45):04d}-"
        f"{1 + int(rng.random() * 12):02d}-{1 + int(rng.random() * 28):02d}T00:00:00Z"
    )
    given = GIVEN_NAMES[int(rng.random() * len(GIVEN_NAMES))]
    family = FAMILY_NAMES[int(rng.random() * len(FAMILY_NAMES))]
    grade = _grade(rng)
    supervised = rng.random() < 0.85

    assessment_props: list[tuple[str, Value]] = [
        ("title", assessment_title(spec)),
        ("grade", Node(f"{iri}/assessment/grade", ("Note",), (("noteLiteral", {"en": grade}),))),
    ]
    if supervised:
        assessment_props.append(("idVerification", concept_node(SUPERVISION)))
    assessment_props.append(("specifiedBy", assessment_spec))
    awarding: list[tuple[str, Value]] = []
    awarding.append(("awardingBody", organisation))
    if key != "date-of-issue":
        awarding.append(("awardingDate", awarded))
    achievement: list[tuple[str, Value]] = [] if key == "title" else [("title", spec.title)]
    achievement += [
        ("awardedBy", Node(f"{iri}/awarding", ("AwardingProcess",), tuple(awarding))),
        ("provenBy", Node(f"{iri}/assessment", ("LearningAssessment",), tuple(assessment_props))),
        ("specifiedBy", spec_node),
    ]
    person: list[tuple[str, Value]] = []
    if key != "learner-identity":
        person += [
            ("givenName", {"en": given}),
            ("familyName", {"en": family}),
            ("fullName", {"en": f"{given} {family}"}),
        ]
    person += [
        ("dateOfBirth", born),
        ("hasClaim", Node(f"{iri}/achievement", ("LearningAchievement",), tuple(achievement))),
    ]
    credential: list[tuple[str, Value]] = [
        ("credentialProfiles", concept_node(GENERIC_PROFILE)),
        ("issuer", organisation),
        ("credentialSubject", Node(f"{iri}/learner", ("Person",), tuple(person))),
    ]
    if key != "date-of-issue":
        credential += [("issued", issued), ("issuanceDate", issued)]
    credential.append(("validFrom", issued))
    root = Node(iri, ("VerifiableCredential", "EuropeanDigitalCredential"), tuple(credential))
    part_of = world.spec(spec.parent)[0].iri if spec.parent is not None else None
    return GeneratedCredential(
        iri, i, key, kind, spec_node.iri, organisation.iri, provider.country.code, part_of, root
    )
