"""CSV catalogues → ELM catalogue specifications: the mapping file, row documents that the Annex I
validator accepts, row errors with their exact lines and elements, whole-file refusals."""

from __future__ import annotations

import copy
import csv
import dataclasses
import hashlib
import json
import re
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from mcgraph import resources
from mcgraph.documents import RdfDocument
from mcgraph.elements import standard_model
from mcgraph.errors import ConfigurationError, DocumentError, UsageError
from mcgraph.loaders.csv_catalogue import (
    TARGETS,
    CsvMapping,
    RowError,
    load_mapping,
    read_csv_catalogue,
)
from mcgraph.service import Service
from mcgraph.settings import Settings
from mcgraph.validation import Validator
from mcgraph.vocab import DC, ELM, RDF, ROV
from mcgraph.vocabularies import concepts_of

DATA = Path(__file__).resolve().parent / "data"
GOOD = DATA / "catalogue-good.csv"
BAD = DATA / "catalogue-bad-rows.csv"
BASE = "https://w3id.org/mcgraph/id/catalogue/"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
ECTS = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
ECVET = "http://data.europa.eu/snb/education-credit/60b314e826"
SKILL = "5fd5c985-eaaa-47aa-8314-62359c54505a"

#: One complete row in the default mapping's columns (every mandatory element present).
COMPLETE = {
    "id": "T-1",
    "title": "Test course",
    "learning_outcomes": "Do the thing",
    "ects": "5",
    "eqf": "5",
    "mode": "online",
    "assessment_type": "quiz",
    "awarding_body": "Example Academy",
    "country": "AT",
    "accreditation_type": "Institutional quality assurance",
}


# -- helpers ------------------------------------------------------------------------------------


def read(path: Path, **options: Any) -> tuple[list[RdfDocument], list[RowError]]:
    documents: list[RdfDocument] = []
    errors: list[RowError] = []
    for item in read_csv_catalogue(path, **options):
        if isinstance(item, RowError):
            errors.append(item)
        else:
            documents.append(item)
    return documents, errors


def write_rows(path: Path, rows: list[dict[str, str]], delimiter: str = ",") -> Path:
    header = list(dict.fromkeys(key for row in rows for key in row))
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows([row.get(key, "") for key in header] for row in rows)
    return path


def one_row(tmp_path: Path, **cells: str) -> RdfDocument | list[RowError]:
    """The document of a single complete row with some cells changed, else its errors."""
    documents, errors = read(write_rows(tmp_path / "one.csv", [{**COMPLETE, **cells}]))
    return errors if errors else documents[0]


def value(term: object) -> str:
    assert isinstance(term, ox.NamedNode | ox.Literal)
    return term.value


def objects(doc: RdfDocument, subject: str, predicate: str) -> set[str]:
    return {
        value(q.object)
        for q in doc.quads
        if value(q.subject) == subject and q.predicate.value == predicate
    }


def spec_of(doc: RdfDocument) -> str:
    (spec,) = {
        value(q.subject)
        for q in doc.quads
        if q.predicate.value == RDF + "type" and value(q.object) == ELM + "Qualification"
    }
    return spec


def path_values(doc: RdfDocument, *predicates: str) -> set[str]:
    """Values reached from the specification along a chain of predicates."""
    nodes = {spec_of(doc)}
    for predicate in predicates:
        nodes = {o for node in nodes for o in objects(doc, node, predicate)}
    return nodes


def awarding_body(doc: RdfDocument) -> str:
    (body,) = path_values(doc, ELM + "awardingOpportunity", ELM + "awardingBody")
    return body


def awarding_country(doc: RdfDocument) -> set[str]:
    return path_values(
        doc,
        ELM + "awardingOpportunity",
        ELM + "awardingBody",
        ELM + "location",
        ELM + "address",
        ELM + "countryCode",
    )


def triples(doc: RdfDocument) -> set[str]:
    return {str(q) for q in doc.quads}


def by_id(documents: list[RdfDocument]) -> dict[str, RdfDocument]:
    return {spec_of(doc).removeprefix(BASE): doc for doc in documents}


# -- the good catalogue -------------------------------------------------------------------------


def test_good_catalogue_rows_are_conforming_specifications(validator: Validator) -> None:
    documents, errors = read(GOOD)
    assert errors == []
    assert len(documents) == 5
    reports = validator.validate_documents(documents)
    assert [report.profile for report in reports] == ["specification"] * 5
    for report in reports:
        assert report.conforms, (report.source, report.as_json()["results"])
    for doc in documents:
        assert (doc.format, doc.sealed, doc.mapping) == ("csv", False, "loaders/csv-catalogue.json")
        assert all(isinstance(q.graph_name, ox.DefaultGraph) for q in doc.quads)


def test_sources_name_the_physical_line_and_checksums_the_raw_row() -> None:
    documents, _ = read(GOOD)
    # row 1 has a description over two lines (2-3), so the next row starts on line 4
    assert [doc.source for doc in documents] == [f"{GOOD}#row={n}" for n in (2, 4, 5, 6, 7)]
    lines = GOOD.read_bytes().decode("utf-8-sig").split("\r\n")
    assert documents[0].checksum == hashlib.sha256(lines[1].encode("utf-8")).hexdigest()
    assert documents[1].checksum == hashlib.sha256(lines[2].encode("utf-8")).hexdigest()


def test_the_same_provider_in_several_rows_is_one_node() -> None:
    docs = by_id(read(GOOD)[0])
    czech = awarding_body(docs["DL-101"])
    german = awarding_body(docs["ML-301"])
    assert czech == awarding_body(docs["GIS-201"]) == f"{BASE}org/12345678"  # by legal identifier
    assert german == awarding_body(docs["SUS-110"]) == f"{BASE}org/hochschule-beispiel"  # by name
    assert czech != german != awarding_body(docs["CYB-050"])
    agents = [
        path_values(docs[key], ELM + "accreditation", ELM + "accreditingAgent")
        for key in ("ML-301", "SUS-110")
    ]
    assert agents[0] == agents[1] == {f"{BASE}org/akkreditierungsrat"}


def test_awarding_body_country_identifier_and_accreditation() -> None:
    docs = by_id(read(GOOD)[0])
    dl, body = docs["DL-101"], awarding_body(docs["DL-101"])
    assert objects(dl, body, ROV + "legalName") == {"Univerzita Example"}
    assert awarding_country(dl) == {COUNTRY + "CZE"}
    (registration,) = objects(dl, body, ROV + "registration")
    assert objects(dl, registration, DC + "spatial") == {COUNTRY + "CZE"}
    # alpha-2 and alpha-3 codes reach the same authority table
    assert awarding_country(docs["SUS-110"]) == {COUNTRY + "DEU"}
    assert awarding_country(docs["CYB-050"]) == {COUNTRY + "PRT"}
    assert path_values(docs["ML-301"], ELM + "accreditation", DC + "type") == {
        "http://data.europa.eu/snb/accreditation/820101cba6"
    }


def test_texts_keep_their_lines_and_languages() -> None:
    docs = by_id(read(GOOD)[0])
    dl = docs["DL-101"]
    (description,) = path_values(dl, DC + "description")
    assert description == (
        "A six-week course on reading and publishing open data.\nTaught in Czech and English."
    )
    titles = {
        q.object
        for q in dl.quads
        if q.predicate.value == DC + "title" and value(q.subject) == spec_of(dl)
    }
    assert {(value(t), t.language) for t in titles if isinstance(t, ox.Literal)} == {
        ("Data literacy for public administration", "en"),
        ("Datová gramotnost pro veřejnou správu", "cs"),
    }


def test_learning_outcomes_and_their_esco_skills_by_position() -> None:
    dl = by_id(read(GOOD)[0])["DL-101"]
    outcomes = sorted(path_values(dl, ELM + "learningOutcome"))
    assert outcomes == [f"{BASE}DL-101/learning-outcome/1", f"{BASE}DL-101/learning-outcome/2"]
    assert objects(dl, outcomes[0], DC + "title") == {"Find and assess open datasets"}
    assert objects(dl, outcomes[0], ELM + "relatedESCOSkill") == set()
    assert objects(dl, outcomes[1], ELM + "relatedESCOSkill") == {
        "http://data.europa.eu/esco/skill/5fd5c985-eaaa-47aa-8314-62359c54505a"
    }


def test_decimal_comma_is_normalised() -> None:
    gis = by_id(read(GOOD)[0])["GIS-201"]
    (credit,) = path_values(gis, ELM + "creditPoint")
    assert objects(gis, credit, ELM + "point") == {"2.5"}
    assert objects(gis, credit, ELM + "framework") == {ECTS}


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_delimiter_and_bom_do_not_change_the_graphs(tmp_path: Path, delimiter: str) -> None:
    with open(GOOD, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    variant = tmp_path / "variant.csv"
    with open(variant, "w", encoding="utf-8", newline="") as handle:  # no byte order mark
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    expected, _ = read(GOOD)
    documents, errors = read(variant)
    assert errors == []
    assert [triples(doc) for doc in documents] == [triples(doc) for doc in expected]


def test_unknown_columns_are_noted_on_the_first_document_only() -> None:
    documents, _ = read(GOOD)
    assert any("internal_note" in note for note in documents[0].notes)
    assert all(doc.notes == () for doc in documents[1:])


# -- rows that cannot be read -------------------------------------------------------------------


def test_bad_rows_name_their_line_column_and_element() -> None:
    documents, errors = read(BAD)
    assert sorted((e.line, e.column, e.element) for e in errors) == [
        (3, "ects", "workload"),
        (7, "eqf", "level"),
        (8, "country", "issuer-country"),
        (10, "homepage", "further-information"),
        (11, "id", None),  # no identifier
        (12, "ects", "workload"),
        (12, "mode", "participation-form"),
        (13, "id", None),  # the identifier of line 2 again
    ]
    for error in errors:
        assert isinstance(error, DocumentError)
        assert error.source == f"{BAD}#row={error.line}"
        assert f"line {error.line}" in error.problem
    # the good rows still yield documents; line 4's description spans lines 4-6
    assert [doc.source for doc in documents] == [f"{BAD}#row={n}" for n in (2, 4, 9, 15)]


def test_good_rows_among_bad_ones_conform(validator: Validator) -> None:
    documents, _ = read(BAD)
    reports = validator.validate_documents(documents)
    by_line = {report.source.rsplit("=", 1)[1]: report for report in reports}
    assert all(by_line[line].conforms for line in ("2", "4", "15"))


def test_a_row_without_its_level_is_a_document_rejected_on_level(validator: Validator) -> None:
    documents, errors = read(BAD)
    assert 9 not in {error.line for error in errors}
    (missing_level,) = [doc for doc in documents if doc.source.endswith("#row=9")]
    (report,) = validator.validate_documents([missing_level])
    assert report.elements("violation") == {"level"}


def test_absent_values_are_not_row_errors(tmp_path: Path, validator: Validator) -> None:
    documents, errors = read(write_rows(tmp_path / "bare.csv", [{"id": "B-1", "title": "Bare"}]))
    assert errors == []
    (report,) = validator.validate_documents(documents)
    mandatory = {
        e.key
        for e in standard_model().elements
        if "https://w3id.org/mcgraph/ns#specification" in e.mandatory_for
    }
    assert report.elements("violation") == mandatory - {"title"}


@pytest.mark.parametrize(
    ("column", "cell", "element"),
    [
        ("ects", "five", "workload"),
        ("ects", "0", "workload"),
        ("ects", "-1", "workload"),
        ("ects", "5 ECTS", "workload"),
        ("hours", "a week", "workload"),
        ("eqf", "9", "level"),
        ("eqf", "0", "level"),
        ("eqf", "http://data.europa.eu/snb/eqf/9", "level"),
        ("nqf", "DQR 4", "level"),
        ("country", "XX", "issuer-country"),
        ("country", "ZZZ", "issuer-country"),
        ("country", "Czechia", "issuer-country"),
        ("mode", "telepathy", "participation-form"),
        ("learning_setting", "informal-ish", "participation-form"),
        ("assessment_type", "vibes", "assessment-type"),
        ("accreditation_type", "trust me", "quality-assurance"),
        ("homepage", "http://", "further-information"),
        ("homepage", "www.example.org", "further-information"),
        ("is_part_of", "http://exa mple.org/whole", "integration-and-stackability"),
        ("esco_skills", "not a skill", "learning-outcomes"),
        ("esco_skills", f"{SKILL}; {SKILL}", "learning-outcomes"),  # two groups, one outcome
    ],
)
def test_values_that_cannot_become_rdf(
    tmp_path: Path, column: str, cell: str, element: str
) -> None:
    errors = one_row(tmp_path, **{column: cell})
    assert isinstance(errors, list)
    assert [(e.line, e.column, e.element) for e in errors] == [(2, column, element)]


def test_cells_beyond_the_header_are_a_row_error(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("id,title\nW-1,Wide,surplus\nW-2,Fine,\n", encoding="utf-8")
    documents, errors = read(path)
    assert [(e.line, e.column, e.element) for e in errors] == [(2, None, None)]
    assert [spec_of(doc) for doc in documents] == [f"{BASE}W-2"]


# -- values -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "point"), [("2,5", "2.5"), ("05", "5"), ("1.50", "1.5"), (",5", "0.5"), ("60", "60")]
)
def test_credit_points_are_canonical_decimals(tmp_path: Path, cell: str, point: str) -> None:
    doc = one_row(tmp_path, ects=cell)
    assert isinstance(doc, RdfDocument)
    assert path_values(doc, ELM + "creditPoint", ELM + "point") == {point}


@pytest.mark.parametrize(
    ("cell", "duration"),
    [("40", "PT40H"), ("1,5", "PT1H30M"), ("0.25", "PT15M"), ("P1M", "P1M"), ("pt60h", "PT60H")],
)
def test_hours_become_durations(tmp_path: Path, cell: str, duration: str) -> None:
    doc = one_row(tmp_path, hours=cell)
    assert isinstance(doc, RdfDocument)
    (literal,) = [q.object for q in doc.quads if q.predicate.value == ELM + "volumeOfLearning"]
    assert isinstance(literal, ox.Literal)
    assert (literal.value, literal.datatype.value) == (
        duration,
        "http://www.w3.org/2001/XMLSchema#duration",
    )


@pytest.mark.parametrize(
    ("column", "cell", "predicate", "expected"),
    [
        ("eqf", "EQF 4", ELM + "EQFLevel", "http://data.europa.eu/snb/eqf/4"),
        (
            "eqf",
            "http://data.europa.eu/snb/eqf/3",
            ELM + "EQFLevel",
            "http://data.europa.eu/snb/eqf/3",
        ),
        (
            "mode",
            "Work-based",
            ELM + "mode",
            "http://data.europa.eu/snb/learning-assessment/729f3bed4b",
        ),
        (
            "mode",
            "ON-SITE",
            ELM + "mode",
            "http://data.europa.eu/snb/learning-assessment/9191af2ed9",
        ),
        (
            "learning_setting",
            "Non formal",
            ELM + "learningSetting",
            "http://data.europa.eu/snb/learning-setting/e207a81fc7",
        ),
        ("is_part_of", "PROG-1", ELM + "isPartOf", f"{BASE}PROG-1"),
        ("is_part_of", "urn:example:programme", ELM + "isPartOf", "urn:example:programme"),
    ],
)
def test_labels_identifiers_and_iris(
    tmp_path: Path, column: str, cell: str, predicate: str, expected: str
) -> None:
    doc = one_row(tmp_path, **{column: cell})
    assert isinstance(doc, RdfDocument)
    assert path_values(doc, predicate) == {expected}


@pytest.mark.parametrize(
    ("cell", "alpha3"), [("el", "GRC"), ("UK", "GBR"), ("aut", "AUT"), (COUNTRY + "NOR", "NOR")]
)
def test_country_codes(tmp_path: Path, cell: str, alpha3: str) -> None:
    doc = one_row(tmp_path, country=cell)
    assert isinstance(doc, RdfDocument)
    assert awarding_country(doc) == {COUNTRY + alpha3}


def test_identifiers_become_iris_below_the_base(tmp_path: Path) -> None:
    rows = [{**COMPLETE, "id": "MC 7/ü"}, {**COMPLETE, "id": "https://example.org/mc/8"}]
    documents, errors = read(write_rows(tmp_path / "ids.csv", rows), base="https://ex.org/c/")
    assert errors == []
    assert [spec_of(doc) for doc in documents] == [
        "https://ex.org/c/MC%207%2F%C3%BC",
        "https://example.org/mc/8",
    ]
    assert awarding_body(documents[0]) == "https://ex.org/c/org/example-academy"


def test_an_invalid_base_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        read_csv_catalogue(GOOD, base="not a base")


def test_the_same_catalogue_from_two_sources_is_two_sets_of_specifications(
    settings: Settings, tmp_path: Path
) -> None:
    store = dataclasses.replace(settings, store=tmp_path / "store", learner_salt="test-salt")
    service = Service(store)
    try:
        for source in ("provider-a", "provider-b"):
            summary = service.load([GOOD], source=source)
            assert (summary.stored, summary.failed) == (5, False), summary.problems
        topics = service.select(
            "PREFIX elm: <http://data.europa.eu/snb/model/elm/> "
            "SELECT DISTINCT ?topic WHERE { GRAPH ?g { ?topic a elm:Qualification } }"
        )
        specs = {str(row["topic"]) for row in topics}
        base = f"{store.base_iri}catalogue/"
        assert len(specs) == 10
        assert {f"{base}provider-a/DL-101", f"{base}provider-b/DL-101"} <= specs
        for source in ("provider-a", "provider-b"):
            (graph,) = service.document_graphs(f"{base}{source}/DL-101")
            assert graph in service.source_graphs(source)
        # one shared awarding body per source: providers' nodes do not merge either
        bodies = service.select(
            "PREFIX elm: <http://data.europa.eu/snb/model/elm/> "
            "SELECT DISTINCT ?body WHERE { GRAPH ?g { ?o elm:awardingBody ?body } }"
        )
        assert {f"{base}provider-a/org/12345678", f"{base}provider-b/org/12345678"} <= {
            str(row["body"]) for row in bodies
        }
    finally:
        service.close()


# -- whole-file refusals ------------------------------------------------------------------------


def test_a_file_that_is_not_utf8_is_refused_before_any_row(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,title\nA-1,Good\nA-2,Übung\n".encode("latin-1"))
    with pytest.raises(DocumentError) as raised:
        read_csv_catalogue(path)
    assert not isinstance(raised.value, RowError)
    assert raised.value.source == str(path)
    assert "UTF-8" in raised.value.problem


def test_a_missing_required_header_is_refused(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "nohead.csv", [{"identifier": "X", "name": "Y"}])
    with pytest.raises(DocumentError) as raised:
        read_csv_catalogue(path)
    assert {"id", "title"} <= set(re.findall(r"[\w@-]+", raised.value.problem))


@pytest.mark.parametrize(
    "content",
    ["", "\n\n", "id,title,title\nA,B,C\n", "id,title@!!\nA,B\n"],
    ids=["empty", "blank-header", "column-twice", "bad-language-suffix"],
)
def test_unusable_headers_are_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "header.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DocumentError):
        read_csv_catalogue(path)


# -- the mapping file ---------------------------------------------------------------------------


def test_the_default_mapping_covers_every_mandatory_element() -> None:
    mapping = load_mapping()
    assert mapping is load_mapping()  # read once
    assert mapping.name == "loaders/csv-catalogue.json"
    assert {column.target for column in mapping.columns} == set(TARGETS)
    mandatory = {
        e.key
        for e in standard_model().elements
        if "https://w3id.org/mcgraph/ns#specification" in e.mandatory_for
    }
    assert mandatory <= {column.element for column in mapping.columns}
    authority = set(concepts_of(COUNTRY.rstrip("/")))
    assert {COUNTRY + alpha3 for alpha3 in mapping.countries.values()} <= authority


def test_every_label_points_into_its_europass_scheme() -> None:
    schemes = {
        "mode": "http://data.europa.eu/snb/learning-assessment/25831c2",
        "learning-setting": "http://data.europa.eu/snb/learning-setting/25831c2",
        "assessment-type": "http://data.europa.eu/snb/assessment/25831c2",
        "accreditation-type": "http://data.europa.eu/snb/accreditation/25831c2",
    }
    labels = load_mapping().labels
    assert set(labels) == set(schemes)
    for target, table in labels.items():
        assert set(table.values()) <= set(concepts_of(schemes[target])), target


def default_json() -> dict[str, Any]:
    text = resources.data_file("loaders", "csv-catalogue.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def column(data: dict[str, Any], name: str) -> dict[str, Any]:
    entry: dict[str, Any] = next(c for c in data["columns"] if c["column"] == name)
    return entry


MAPPING_MUTATIONS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "unknown target": (lambda d: column(d, "ects").update(target="ectz"), "ectz"),
    "unknown element": (lambda d: column(d, "eqf").update(element="levels"), "levels"),
    "missing element": (lambda d: column(d, "eqf").pop("element"), "element"),
    "unknown key": (lambda d: column(d, "eqf").update(colour="red"), "colour"),
    "no identifier column": (lambda d: column(d, "id").update(target="title"), "spec-iri"),
    "column twice": (lambda d: d["columns"].append(dict(column(d, "eqf"))), "eqf"),
    "bad base": (lambda d: d.update(base="no base"), "base"),
    "bad language": (lambda d: d.update(lang="english!"), "english!"),
    "label not an IRI": (lambda d: d["labels"]["mode"].update(online="920fbb3cbe"), "online"),
    "labels of an unknown target": (lambda d: d["labels"].update(eqf={}), "eqf"),
    "country outside the table": (lambda d: d["countries"].update(XK="XKX"), "XK"),
    "framework on another column": (
        lambda d: column(d, "hours").update(framework=ECTS),
        "framework",
    ),
    "columns not a list": (lambda d: d.update(columns={}), "columns"),
}


@pytest.mark.parametrize("problem", sorted(MAPPING_MUTATIONS))
def test_a_bad_mapping_file_names_its_problem(tmp_path: Path, problem: str) -> None:
    mutate, named = MAPPING_MUTATIONS[problem]
    data = copy.deepcopy(default_json())
    mutate(data)
    path = tmp_path / "my-mapping.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigurationError) as raised:
        load_mapping(path)
    assert "my-mapping.json" in str(raised.value)
    assert named in str(raised.value)


def test_a_mapping_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{ not json", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"broken\.json"):
        load_mapping(path)
    with pytest.raises(ConfigurationError, match=r"absent\.json"):
        load_mapping(tmp_path / "absent.json")


def test_a_provider_mapping_with_its_own_headers(tmp_path: Path) -> None:
    data = default_json()
    data["base"] = "https://katalog.example.cz/mc/"
    data["lang"] = "cs"
    column(data, "title")["column"] = "nazev"
    column(data, "ects").update(column="kredity_ecvet", framework=ECVET)
    mapping_path = tmp_path / "katalog.json"
    mapping_path.write_text(json.dumps(data), encoding="utf-8")
    mapping = load_mapping(mapping_path)
    assert isinstance(mapping, CsvMapping)
    rows = [{"id": "K-1", "Nazev": "Kurz", "kredity_ecvet": "3"}]
    (doc,), errors = read(write_rows(tmp_path / "katalog.csv", rows, ";"), mapping=mapping)
    assert errors == []
    assert doc.mapping == "katalog.json"
    assert spec_of(doc) == "https://katalog.example.cz/mc/K-1"
    (title,) = [q.object for q in doc.quads if q.predicate.value == DC + "title"]
    assert isinstance(title, ox.Literal) and title.language == "cs"
    assert path_values(doc, ELM + "creditPoint", ELM + "framework") == {ECVET}


# -- streaming -------------------------------------------------------------------------------------


def big_catalogue(path: Path, rows: int, padding: int = 0) -> Path:
    with open(GOOD, encoding="utf-8-sig", newline="") as handle:
        header, *samples = list(csv.reader(handle, delimiter=";"))
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(header)
        for n in range(rows):
            row = list(samples[n % len(samples)])
            row[0] = f"{row[0]}-{n}"
            row[3] += "x" * padding
            writer.writerow(row)
    return path


def test_rows_are_streamed(tmp_path: Path) -> None:
    path = big_catalogue(tmp_path / "big.csv", 5_000, padding=4_000)  # about 22 MB
    tracemalloc.start()
    try:
        first = next(iter(read_csv_catalogue(path)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(first, RdfDocument)
    assert peak < 8 * 1024 * 1024
