"""Open Badges 3.0 -> ELM v3: the declarative mapping on the real sample badge, what the
validator then says about it, and the Annex I elements Open Badges cannot carry."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from mcgraph import resources
from mcgraph.contexts import ContextResolver
from mcgraph.documents import RdfDocument, read_document, read_path
from mcgraph.elements import standard_model
from mcgraph.errors import ContextUnavailableError, UnsupportedFormatError
from mcgraph.loaders import openbadges
from mcgraph.loaders.openbadges import (
    OB,
    elements_open_badges_cannot_carry,
    is_open_badge,
    map_open_badge,
)
from mcgraph.settings import Settings
from mcgraph.validation import Validator
from mcgraph.vocab import PREFIXES

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SAMPLE = SHARED / "samples-openbadges" / "open-badge-mc-example.json"
ELM_SAMPLES = SHARED / "elm" / "samples"
EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
ESCO_SKILLS = {
    "http://data.europa.eu/esco/skill/f10142ce-d522-49c3-9fd1-054fb63529d4",
    "http://data.europa.eu/esco/skill/81a2db2c-7e55-44d0-9cd9-74c25147d7cd",
}

#: The decision recorded in loaders/openbadges.ttl: Open Badges 3.0 has no property for these.
UNCARRIED = {
    "level",
    "assessment-type",
    "participation-form",
    "quality-assurance",
    "prerequisites",
    "supervision-and-identity-verification",
    "integration-and-stackability",
}
#: Mandatory elements the sample badge carries: never reported on it.
CARRIED_BY_SAMPLE = {
    "title",
    "awarding-body",
    "date-of-issue",
    "learner-identity",
    "learning-outcomes",
}
#: Elements Open Badges can carry but the sample lacks: its issuer Profile has no address (so
#: no country), and creditsAvailable names no credit system (a credit point without framework).
LACKED_BY_SAMPLE = {"issuer-country", "workload"}


def mandatory_for(profile: str) -> set[str]:
    return {
        e.key
        for e in standard_model().elements
        if any(p.endswith(f"#{profile}") for p in e.mandatory_for)
    }


# ---------------------------------------------------------------- reading badges


@pytest.fixture(scope="module")
def ob_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The shared contexts plus a TEST-ONLY stand-in for the OB extensions context.

    The real https://purl.imsglobal.org/spec/ob/v3p0/extensions.json is not in ../shared and
    there is no network here; the product fetches it (purl.imsglobal.org is allow-listed) with
    --fetch-contexts. The stand-in only declares the `ext` prefix the sample uses, under a
    placeholder (.invalid) IRI, and lives in a temporary directory: it is never shipped.
    """
    stand_in = tmp_path_factory.mktemp("ob-extensions-stand-in")
    (stand_in / "extensions-stand-in.jsonld").write_text(
        json.dumps({"@context": {"ext": "http://mcgraph.invalid/test-stand-in/ob-extensions#"}})
    )
    (stand_in / "index.json").write_text(json.dumps({EXTENSIONS: "extensions-stand-in.jsonld"}))
    return Settings(
        contexts=(SHARED / "contexts", stand_in),
        context_cache=tmp_path_factory.mktemp("context-cache"),
        fetch_contexts=False,
    )


@pytest.fixture(scope="module")
def read_badge(ob_settings: Settings) -> Callable[..., RdfDocument]:
    """Reads the sample (no argument) or a badge given as JSON, with either JSON-LD engine."""
    resolvers: dict[str, ContextResolver] = {}

    def read(content: dict[str, Any] | None = None, *, engine: str = "pyoxigraph") -> RdfDocument:
        settings = ob_settings.replace(jsonld_engine=engine)
        resolver = resolvers.setdefault(engine, ContextResolver(settings))
        if content is None:
            return read_path(SAMPLE, settings=settings, resolver=resolver)
        return read_document(
            json.dumps(content).encode(), source="badge.json", settings=settings, resolver=resolver
        )

    return read


@pytest.fixture(scope="module")
def badge(read_badge: Callable[..., RdfDocument]) -> RdfDocument:
    return read_badge()


@pytest.fixture(scope="module")
def mapped(badge: RdfDocument) -> RdfDocument:
    return map_open_badge(badge)


def sample_badge() -> dict[str, Any]:
    return copy.deepcopy(json.loads(SAMPLE.read_text(encoding="utf-8")))


def select(document: RdfDocument, query: str) -> list[dict[str, ox.Term]]:
    """Rows of a SELECT over the document, written with mcgraph's prefixes."""
    store = ox.Store()
    store.extend(document.quads)
    result = store.query(query, prefixes=PREFIXES)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [{n: row[n] for n in names if row[n] is not None} for row in result]


def values(document: RdfDocument, query: str) -> set[str]:
    """Every value a SELECT binds, as strings (lexical forms and IRIs)."""
    return {term.value for row in select(document, query) for term in row.values()}


def test_the_sample_needs_the_extensions_context(
    settings: Settings, resolver: ContextResolver
) -> None:
    with pytest.raises(ContextUnavailableError) as raised:
        read_path(SAMPLE, settings=settings, resolver=resolver)
    assert raised.value.url == EXTENSIONS


# ---------------------------------------------------------------- recognising badges


def test_the_sample_is_an_open_badge(badge: RdfDocument) -> None:
    assert is_open_badge(badge)


def test_achievement_credential_is_the_same_type(read_badge: Callable[..., RdfDocument]) -> None:
    content = sample_badge()
    content["type"] = ["VerifiableCredential", "AchievementCredential"]
    assert is_open_badge(read_badge(content))


@pytest.mark.parametrize(
    "name",
    [
        "Sample-MC-Annex1-signed.jsonld",
        "Sample-MC-Annex1-unsigned.jsonld",
        "Sample-CertOfPart-unsigned.jsonld",
        "credential-sample.jsonld",
        "credential-sample.ttl",
    ],
)
def test_elm_samples_are_not_open_badges(
    name: str, settings: Settings, resolver: ContextResolver
) -> None:
    document = read_path(ELM_SAMPLES / name, settings=settings, resolver=resolver)
    assert not is_open_badge(document)
    with pytest.raises(UnsupportedFormatError):
        map_open_badge(document)


# ---------------------------------------------------------------- the mapped document


def test_mapping_keeps_provenance_and_records_itself(
    badge: RdfDocument, mapped: RdfDocument
) -> None:
    assert mapped is not badge
    assert (mapped.source, mapped.checksum, mapped.sealed, mapped.format) == (
        badge.source,
        badge.checksum,
        badge.sealed,
        badge.format,
    )
    assert mapped.mapping == "loaders/openbadges-to-elm.rq"
    assert resources.data_file("loaders", Path(mapped.mapping).name).is_file()


def test_output_is_elm_only(mapped: RdfDocument) -> None:
    foreign = [
        quad
        for quad in mapped.quads
        for term in (quad.subject, quad.predicate, quad.object)
        if isinstance(term, ox.NamedNode) and term.value.startswith((OB, "https://schema.org/"))
    ]
    assert foreign == []
    assert not is_open_badge(mapped)
    assert {q.graph_name for q in mapped.quads} == {ox.DefaultGraph()}


def test_credential_learner_and_claim(
    mapped: RdfDocument, read_badge: Callable[..., RdfDocument]
) -> None:
    [row] = select(
        mapped,
        """SELECT ?credential ?subject ?claim ?spec WHERE {
             ?credential a cred:VerifiableCredential , elm:EuropeanDigitalCredential ;
                 cred:credentialSubject ?subject .
             ?subject a elm:Person ; elm:hasClaim ?claim .
             ?claim a elm:LearningAchievement ; elm:specifiedBy ?spec .
             ?spec a elm:LearningAchievementSpecification }""",
    )
    assert row["credential"].value == "urn:uuid:00a0d11e-3749-4ee3-9b44-230c1774d387"
    assert row["subject"].value == "urn:uuid:754208fc-d60e-4977-897f-54f58ed54707"
    assert row["spec"].value == "urn:uuid:5300c688-6bfc-498a-a976-230af55b5ca6"
    # the claim's IRI is minted from the badge's IRIs: a UUIDv8, the same on every mapping
    claim = row["claim"].value
    assert uuid.UUID(claim.removeprefix("urn:uuid:")).version == 8
    again = map_open_badge(read_badge())
    assert values(again, "SELECT ?claim { ?person elm:hasClaim ?claim }") == {claim}


def test_title_in_the_badge_language(mapped: RdfDocument) -> None:
    titles = select(
        mapped,
        """SELECT ?title WHERE { ?s cred:credentialSubject/elm:hasClaim ?claim .
             { ?claim dc:title ?title } UNION { ?claim elm:specifiedBy/dc:title ?title } }""",
    )
    literals = {row["title"] for row in titles}
    assert literals == {ox.Literal("Data Science Fundamentals", language="en")}


def test_awarding_body_and_date(mapped: RdfDocument) -> None:
    [row] = select(
        mapped,
        """SELECT ?body ?name ?date ?legalId ?homepage WHERE {
             ?s elm:hasClaim/elm:awardedBy ?process .
             ?process a elm:AwardingProcess ; elm:awardingBody ?body ; elm:awardingDate ?date .
             ?body a elm:Organisation ; rov:legalName ?name ;
                 elm:eidasLegalIdentifier [ a elm:LegalIdentifier ; skos:notation ?legalId ] ;
                 foaf:homepage [ a elm:WebResource ; elm:contentUrl ?homepage ] }""",
    )
    assert row["body"].value == "urn:uuid:df1eceb0-c36a-4613-b3d7-992c9ee66f5b"  # the creator
    assert row["name"].value == "NETIS d.o.o."
    assert row["date"] == ox.Literal(
        "2026-01-12T07:04:19Z", datatype=ox.NamedNode(PREFIXES["xsd"] + "dateTime")
    )
    assert row["legalId"].value == "urn:epass:legalIdentifier:df1eceb0-c36a-4613-b3d7-992c9ee66f5b"
    assert row["homepage"] == ox.Literal(
        "https://www.netis.si", datatype=ox.NamedNode(PREFIXES["xsd"] + "anyURI")
    )
    # awardedDate is the awarding date only: the badge states no issuance of the document
    assert values(mapped, "SELECT ?d { ?c cred:issued|cred:issuanceDate ?d }") == set()


def test_learner_identity_is_the_hashed_identifier(mapped: RdfDocument) -> None:
    [row] = select(
        mapped,
        """SELECT ?notation ?scheme WHERE { ?c cred:credentialSubject/adms:identifier ?id .
             ?id a elm:Identifier ; skos:notation ?notation ; elm:schemeName ?scheme }""",
    )
    assert row["notation"].value.startswith("sha256$ba91252f")
    assert row["scheme"].value == "emailAddress"


def test_learning_outcomes_are_the_esco_alignments(mapped: RdfDocument) -> None:
    rows = select(
        mapped,
        """SELECT ?skill ?title WHERE { ?c cred:credentialSubject/elm:hasClaim/elm:specifiedBy
             /elm:learningOutcome ?outcome .
             ?outcome a elm:LearningOutcome ; elm:relatedESCOSkill ?skill ; dc:title ?title }""",
    )
    assert {row["skill"].value for row in rows} == ESCO_SKILLS
    assert {row["title"].value for row in rows} == {"Develop test procedures", "Analyse test data"}


def test_credits_have_points_but_no_framework(mapped: RdfDocument) -> None:
    [row] = select(
        mapped,
        """SELECT ?point ?framework WHERE { ?spec elm:creditPoint ?credit .
             ?credit elm:point ?point . OPTIONAL { ?credit elm:framework ?framework } }""",
    )
    assert row == {"point": ox.Literal("5")}


def test_criteria_narrative_is_a_note(mapped: RdfDocument) -> None:
    notes = values(
        mapped, "SELECT ?text { ?spec elm:additionalNote [ a elm:Note ; elm:noteLiteral ?text ] }"
    )
    assert notes == {sample_badge()["credentialSubject"]["achievement"]["criteria"]["narrative"]}
    # criteria are neither outcomes nor an assessment
    assert values(mapped, "SELECT ?x { ?s elm:learningOutcomeSummary|elm:provenBy ?x }") == set()


def test_both_json_ld_engines_map_alike(read_badge: Callable[..., RdfDocument]) -> None:
    def shape(document: RdfDocument) -> list[str]:
        def term(t: Any) -> str:
            return "_:b" if isinstance(t, ox.BlankNode) else str(t)

        return sorted(
            " ".join(map(term, (q.subject, q.predicate, q.object))) for q in document.quads
        )

    assert shape(map_open_badge(read_badge(engine="pyld"))) == shape(
        map_open_badge(read_badge(engine="pyoxigraph"))
    )


# ---------------------------------------------------------------- what the validator says


def test_sample_violations_are_only_uncarried_or_truly_lacking(
    mapped: RdfDocument, validator: Validator
) -> None:
    [report] = validator.validate_documents([mapped], profile="issued")
    assert report.error is None and report.profile == "issued"
    violated = report.elements("violation")
    assert violated <= UNCARRIED | LACKED_BY_SAMPLE
    assert violated.isdisjoint(CARRIED_BY_SAMPLE)
    # what Open Badges cannot carry is missing, truthfully, from every mapped badge
    assert UNCARRIED & mandatory_for("issued") <= violated
    # workload is reported for the missing framework, not for missing credits
    [workload] = [r for r in report.results if r.element == "workload"]
    assert workload.severity == "violation" and workload.path is not None
    assert workload.path.endswith("elm:creditPoint")
    # detected as an issued credential on its own
    [auto] = validator.validate_documents([mapped])
    assert auto.profile == "issued" and auto.elements("violation") == violated


def test_notes_name_every_uncarried_element(mapped: RdfDocument) -> None:
    [note] = mapped.notes
    model = standard_model()
    for key in elements_open_badges_cannot_carry():
        assert key in note
        assert model.element(key).label("en") in note


def test_the_uncarried_elements_are_read_from_the_metadata() -> None:
    keys = elements_open_badges_cannot_carry()
    assert set(keys) == UNCARRIED
    orders = [standard_model().element(key).order for key in keys]
    assert orders == sorted(orders)
    assert keys is elements_open_badges_cannot_carry()  # read once


def test_the_construct_file_is_read_once(
    badge: RdfDocument, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    data_file = resources.data_file

    def counting(kind: str, name: str) -> Path:
        opened.append(name)
        return data_file(kind, name)

    openbadges._construct_query.cache_clear()
    monkeypatch.setattr(openbadges.resources, "data_file", counting)
    first, second = map_open_badge(badge), map_open_badge(badge)
    assert opened.count("openbadges-to-elm.rq") == 1
    assert len(first.quads) == len(second.quads)


# ---------------------------------------------------------------- more of Open Badges 3.0


def standalone_achievement(address: dict[str, Any] | None = None) -> dict[str, Any]:
    """The sample's Achievement published on its own (a catalogue entry, no learner)."""
    achievement = sample_badge()["credentialSubject"]["achievement"]
    if address is not None:
        achievement["creator"]["address"] = {"type": ["Address"], **address}
    return {"@context": [OB_CONTEXT], **achievement}


@pytest.mark.parametrize(
    ("address", "country"),
    [
        ({"addressCountryCode": "SI"}, "SVN"),
        ({"addressCountryCode": "el"}, "GRC"),
        ({"addressCountry": "Germany", "addressLocality": "Berlin"}, "DEU"),
        ({"addressCountryCode": "US"}, None),  # outside the EU/EEA table
    ],
)
def test_a_standalone_achievement_is_a_specification(
    read_badge: Callable[..., RdfDocument],
    validator: Validator,
    address: dict[str, Any],
    country: str | None,
) -> None:
    document = read_badge(standalone_achievement(address))
    assert is_open_badge(document)
    spec = map_open_badge(document)
    countries = values(
        spec,
        """SELECT ?country { ?spec elm:awardingOpportunity/elm:awardingBody
             /elm:location/elm:address/elm:countryCode ?country }""",
    )
    assert countries == ({COUNTRY + country} if country else set())
    [report] = validator.validate_documents([spec])
    assert report.profile == "specification"
    violated = report.elements("violation")
    assert violated.isdisjoint({"title", "awarding-body", "learning-outcomes"})
    assert ("issuer-country" in violated) == (country is None)
    assert violated <= UNCARRIED | {"workload", "issuer-country"}


def test_grade_fractional_credits_and_vc_1_1_dates(
    read_badge: Callable[..., RdfDocument], validator: Validator
) -> None:
    content = sample_badge()
    content["@context"][0] = "https://www.w3.org/2018/credentials/v1"
    del content["validFrom"], content["validUntil"], content["awardedDate"]
    content["issuanceDate"] = "2025-06-30T12:00:00Z"
    achievement = content["credentialSubject"]["achievement"]
    achievement["creditsAvailable"] = 2.5
    achievement["resultDescription"] = [
        {
            "id": "urn:uuid:rd-1",
            "type": ["ResultDescription"],
            "name": "Final grade",
            "resultType": "LetterGrade",
        }
    ]
    content["credentialSubject"]["result"] = [
        {"type": ["Result"], "value": "B+", "resultDescription": "urn:uuid:rd-1"}
    ]
    content["credentialSubject"]["creditsEarned"] = 2.5
    mapped = map_open_badge(read_badge(content))
    # JSON-LD writes 2.5 as "2.5E0": ELM points are decimal strings
    assert values(mapped, "SELECT ?p { ?spec elm:creditPoint/elm:point ?p }") == {"2.5"}
    assert values(mapped, "SELECT ?p { ?s elm:hasClaim/elm:creditReceived/elm:point ?p }") == {
        "2.5"
    }
    [grade] = select(
        mapped,
        """SELECT ?title ?grade { ?s elm:hasClaim/elm:provenBy ?assessment .
             ?assessment a elm:LearningAssessment ; dc:title ?title ;
                 elm:grade/elm:noteLiteral ?grade }""",
    )
    assert (grade["title"].value, grade["grade"].value) == ("Final grade", "B+")
    assert values(mapped, "SELECT ?d { ?c cred:issuanceDate ?d }") == {"2025-06-30T12:00:00Z"}
    [report] = validator.validate_documents([mapped], profile="issued")
    violated = report.elements("violation")
    assert "date-of-issue" not in violated and "grade" not in violated
    assert violated <= UNCARRIED | LACKED_BY_SAMPLE
