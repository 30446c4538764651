"""Annex I validation on the EU's own samples and on mutations of them: every missing or bad
element is reported as exactly that element; optional elements never raise violations."""

from __future__ import annotations

import dataclasses
import json

import pyoxigraph as ox
import pytest

from conftest import DATA, SAMPLES, SHARED, sample_json
from mcgraph.elements import standard_model
from mcgraph.validation import Validator
from mutations import BREAK_VALUE, REMOVE_MANDATORY, REMOVE_OPTIONAL, make_conforming, walk

MANDATORY_SPEC = {
    e.key
    for e in standard_model().elements
    if e.mandatory_for and any(p.endswith("#specification") for p in e.mandatory_for)
}


def test_sealed_sample_lacks_exactly_quality_assurance(validator: Validator) -> None:
    [report] = validator.validate_paths([SAMPLES / "Sample-MC-Annex1-signed.jsonld"])
    assert report.profile == "issued"
    assert report.elements("violation") == {"quality-assurance"}
    assert "assessment-type" in report.elements("warning")


def test_unsigned_sample_lacks_date_of_issue_and_quality_assurance(validator: Validator) -> None:
    [report] = validator.validate_paths([SAMPLES / "Sample-MC-Annex1-unsigned.jsonld"])
    assert report.elements("violation") == {"date-of-issue", "quality-assurance"}
    assessment = [r for r in report.results if r.element == "assessment-type"]
    assert [r.severity for r in assessment] == ["warning"]
    # the private scheme concept of the EU's own sample is named as the offending value
    assert assessment[0].value is not None and assessment[0].value.startswith("urn:epass:concept:")


# JSON-LD terms whose presence carries each mandatory element in an EDC credential
_CARRIERS = {
    "date-of-issue": {"issued", "issuanceDate", "awardingDate"},
    "learning-outcomes": {"learningOutcome", "learningOutcomeSummary"},
    "level": {"eqfLevel", "nqfLevel"},
    "workload": {"creditPoint", "volumeOfLearning"},
    "quality-assurance": {"accreditation"},
}


def test_certificate_of_participation_is_reported_truthfully(validator: Validator) -> None:
    document = sample_json("Sample-CertOfPart-unsigned.jsonld")
    keys = {key for node in walk(document) for key in node}
    [report] = validator.validate_paths([SAMPLES / "Sample-CertOfPart-unsigned.jsonld"])
    violations = report.elements("violation")
    for element, carriers in _CARRIERS.items():
        assert (element in violations) == (not keys & carriers), element
    assert {"learner-identity", "title", "issuer-country", "awarding-body"}.isdisjoint(violations)


def test_conforming_base_credential(validator: Validator, as_document) -> None:  # type: ignore[no-untyped-def]
    doc = make_conforming(sample_json("Sample-MC-Annex1-signed.jsonld"))
    [report] = validator.validate_documents([as_document(doc)])
    assert report.conforms, report.results
    assert report.elements("violation") == set()


@pytest.mark.parametrize("element", sorted(REMOVE_MANDATORY))
def test_removing_a_mandatory_element_names_exactly_it(
    validator: Validator, as_document, element: str
) -> None:  # type: ignore[no-untyped-def]
    doc = make_conforming(sample_json("Sample-MC-Annex1-signed.jsonld"))
    REMOVE_MANDATORY[element](doc)
    [report] = validator.validate_documents([as_document(doc)])
    assert not report.conforms
    assert report.elements("violation") == {element}


def test_every_mandatory_element_has_a_mutation() -> None:
    mandatory = {e.key for e in standard_model().elements if e.mandatory}
    assert set(REMOVE_MANDATORY) == mandatory and len(mandatory) == 11


@pytest.mark.parametrize("case", sorted(BREAK_VALUE))
def test_a_bad_value_is_reported_on_its_element(
    validator: Validator, as_document, case: str
) -> None:  # type: ignore[no-untyped-def]
    element, mutate = BREAK_VALUE[case]
    doc = make_conforming(sample_json("Sample-MC-Annex1-signed.jsonld"))
    mutate(doc)
    [report] = validator.validate_documents([as_document(doc)])
    assert report.elements("violation") == {element}


@pytest.mark.parametrize("element", sorted(REMOVE_OPTIONAL))
def test_optional_elements_never_raise_violations(
    validator: Validator, as_document, element: str
) -> None:  # type: ignore[no-untyped-def]
    doc = make_conforming(sample_json("Sample-MC-Annex1-signed.jsonld"))
    REMOVE_OPTIONAL[element](doc)
    [report] = validator.validate_documents([as_document(doc)])
    assert report.conforms and report.elements("violation") == set()


def test_supervision_outside_the_scheme_is_only_a_warning(
    validator: Validator, as_document
) -> None:  # type: ignore[no-untyped-def]
    doc = make_conforming(sample_json("Sample-MC-Annex1-signed.jsonld"))
    doc["credentialSubject"]["hasClaim"]["provenBy"]["idVerification"] = {
        "id": "https://issuer.example/own-supervision-scheme/proctored",
        "type": "Concept",
    }
    [report] = validator.validate_documents([as_document(doc)])
    assert report.conforms
    assert "supervision-and-identity-verification" in report.elements("warning")


def test_removing_the_whole_awarding_body_also_loses_the_issuer_country(
    validator: Validator, as_document
) -> None:  # type: ignore[no-untyped-def]
    doc = make_conforming(sample_json("Sample-MC-Annex1-signed.jsonld"))
    process = doc["credentialSubject"]["hasClaim"]["awardedBy"]["id"]
    for node in walk(doc):
        if node.get("id") == process:
            node.pop("awardingBody", None)
    [report] = validator.validate_documents([as_document(doc)])
    assert report.elements("violation") == {"awarding-body", "issuer-country"}


def test_validfrom_alone_is_not_a_date_of_issue(validator: Validator, as_document) -> None:  # type: ignore[no-untyped-def]
    doc = make_conforming(sample_json("Sample-MC-Annex1-signed.jsonld"))
    doc.pop("issued")
    doc.pop("issuanceDate")
    assert "validFrom" in doc
    [report] = validator.validate_documents([as_document(doc)])
    assert report.elements("violation") == {"date-of-issue"}


# ---------------------------------------------------------------- catalogue specifications

SPEC = "https://catalogue.example.cz/"
ELM = "http://data.europa.eu/snb/model/elm/"
DC = "http://purl.org/dc/terms/"
REMOVE_FROM_SPEC: dict[str, list[tuple[str, str]]] = {
    "title": [(SPEC + "spec-data-literacy", DC + "title")],
    "issuer-country": [
        (SPEC + "university", ELM + "location"),
        (SPEC + "university-id", DC + "spatial"),
    ],
    "awarding-body": [(SPEC + "university", "http://www.w3.org/ns/regorg#legalName")],
    "learning-outcomes": [(SPEC + "spec-data-literacy", ELM + "learningOutcome")],
    "workload": [
        (SPEC + "spec-data-literacy", ELM + "creditPoint"),
        (SPEC + "spec-data-literacy", ELM + "volumeOfLearning"),
    ],
    "level": [(SPEC + "spec-data-literacy", ELM + "EQFLevel")],
    "assessment-type": [(SPEC + "assessment-spec", DC + "type")],
    "participation-form": [(SPEC + "spec-data-literacy", ELM + "mode")],
    "quality-assurance": [(SPEC + "spec-data-literacy", ELM + "accreditation")],
}


@pytest.fixture
def specification(as_document):  # type: ignore[no-untyped-def]
    return as_document(
        (DATA / "specification-conforming.ttl").read_text(encoding="utf-8"), "spec.ttl"
    )


def test_conforming_specification(validator: Validator, specification) -> None:  # type: ignore[no-untyped-def]
    [report] = validator.validate_documents([specification])
    assert report.profile == "specification"
    assert report.conforms and report.results == []


def test_specification_profile_covers_its_mandatory_elements() -> None:
    assert set(REMOVE_FROM_SPEC) == MANDATORY_SPEC
    assert {"learner-identity", "date-of-issue"}.isdisjoint(MANDATORY_SPEC)


@pytest.mark.parametrize("element", sorted(REMOVE_FROM_SPEC))
def test_specification_missing_an_element(
    validator: Validator, specification, element: str
) -> None:  # type: ignore[no-untyped-def]
    drop = {(ox.NamedNode(s), ox.NamedNode(p)) for s, p in REMOVE_FROM_SPEC[element]}
    quads = tuple(q for q in specification.quads if (q.subject, q.predicate) not in drop)
    assert len(quads) < len(specification.quads)
    [report] = validator.validate_documents([dataclasses.replace(specification, quads=quads)])
    assert report.elements("violation") == {element}


def test_a_document_without_a_credential_is_an_error_not_a_pass(
    validator: Validator, as_document
) -> None:  # type: ignore[no-untyped-def]
    document = as_document(
        '<https://x.example/a> <http://purl.org/dc/terms/title> "not a credential" .'
    )
    [report] = validator.validate_documents([document])
    assert not report.conforms and report.error is not None and report.profile is None


def test_official_edc_shapes_run_together_with_ours(settings) -> None:  # type: ignore[no-untyped-def]
    edc = SHARED / "elm" / "shapes" / "EDC-generic-no-cv.ttl"
    validator = Validator(settings=settings, extra_shapes=[edc])
    [report] = validator.validate_paths([SAMPLES / "Sample-MC-Annex1-unsigned.jsonld"])
    ours = {r.element for r in report.results if r.element}
    assert {"date-of-issue", "quality-assurance"} <= ours
    # the EDC profile has its own findings on the sample (e.g. cred:issued is mandatory there);
    # they belong to no Annex I element
    external = [r for r in report.results if r.element is None]
    assert any(r.path == "cred:issued" and r.severity == "violation" for r in external)
    assert json.dumps([r.as_json() for r in report.results])  # serialisable as the CLI prints it
