"""Qualification frameworks: the shipped SKOS data and its EQF referencing, the CSV form, and the
shapes that refuse a broken framework, naming the level concerned."""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import DATA, SHARED
from mcgraph.errors import FrameworkError, McgraphError
from mcgraph.frameworks import (
    EQF_SCHEME,
    FrameworkDocument,
    is_framework_file,
    read_framework,
    shipped_framework_files,
    validate_framework,
)

BASE = "https://w3id.org/mcgraph/"
EQF = "http://data.europa.eu/snb/eqf/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
MCG = "https://w3id.org/mcgraph/ns#"
DC = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
FRAMEWORKS = DATA / "frameworks"
NATIONAL = {"cz-nsk", "ie-nfq", "uk-scqf", "de-dqr", "fr-cnc", "pl-pqf", "nl-nlqf", "at-nqr"}
#: the Europass level-label prefixes of the shipped national frameworks
EUROPASS_PREFIXES = {"IE NQF", "SCQF", "DQR", "AT: NQF", "NLQF", "PQF", "NSK", "NQF RNCP"}


# ---------------------------------------------------------------- helpers


@cache
def europass_nqf() -> dict[str, str]:
    """IRI -> label of every concept in the EU's nqf.xsd enumeration."""
    xs = "{http://www.w3.org/2001/XMLSchema}"
    tree = ET.parse(SHARED / "elm" / "vocabularies" / "nqf.xsd")
    return {
        node.attrib["value"]: " ".join("".join(node.itertext()).split())
        for node in tree.iter(f"{xs}enumeration")
    }


def europass_iri(label: str) -> str:
    matches = [iri for iri, text in europass_nqf().items() if text == label]
    assert len(matches) == 1, f"{label!r} in nqf.xsd: {matches}"
    return matches[0]


def europass_prefix(label: str) -> str | None:
    """'IE NQF Level 7' -> 'IE NQF', 'NLQF Entry Level' -> 'NLQF'; None for a framework name."""
    match = re.match(r"^(.*?)\s+(?:Entry\s+)?Levels?\b", label)
    return match.group(1) if match else None


@cache
def shipped() -> dict[str, FrameworkDocument]:
    return {path.stem: read_framework(path, base_iri=BASE) for path in shipped_framework_files()}


def values(doc: FrameworkDocument, subject: str, predicate: str) -> list[ox.NamedNode | ox.Literal]:
    return [
        q.object
        for q in doc.quads
        if q.subject.value == subject
        and q.predicate.value == predicate
        and isinstance(q.object, ox.NamedNode | ox.Literal)
    ]


def levels(doc: FrameworkDocument) -> dict[str, str]:
    """notation -> level IRI."""
    out: dict[str, str] = {}
    for q in doc.quads:
        if q.predicate.value == SKOS + "inScheme" and q.object.value == doc.scheme:
            (notation,) = values(doc, q.subject.value, SKOS + "notation")
            out[notation.value] = q.subject.value
    return out


def referencing_table(doc: FrameworkDocument) -> dict[str, tuple[str, str] | None]:
    """notation -> (EQF level IRI, "exact" | "broad"), or None when not referenced."""
    table: dict[str, tuple[str, str] | None] = {}
    for notation, level in levels(doc).items():
        found = [
            (v.value, how)
            for how in ("exact", "broad")
            for v in values(doc, level, f"{SKOS}{how}Match")
            if v.value.startswith(EQF)
        ]
        assert len(found) <= 1, (doc.identifier, notation, found)
        table[notation] = found[0] if found else None
    return table


def mutate(
    doc: FrameworkDocument, drop: Callable[[ox.Quad], bool], add: list[tuple[str, str, str]]
) -> FrameworkDocument:
    graph = ox.NamedNode(doc.scheme)
    quads = [q for q in doc.quads if not drop(q)]
    quads += [ox.Quad(ox.NamedNode(s), ox.NamedNode(p), ox.NamedNode(o), graph) for s, p, o in add]
    return dataclasses.replace(doc, quads=quads)


def problems_of(doc: FrameworkDocument) -> list[str]:
    with pytest.raises(FrameworkError) as caught:
        validate_framework(doc)
    return caught.value.problems


# ---------------------------------------------------------------- the shipped frameworks


def test_every_shipped_framework_passes_its_shapes() -> None:
    docs = shipped()
    assert {"eqf", "qf-ehea"} | NATIONAL <= set(docs)
    for stem, doc in docs.items():
        validate_framework(doc)
        assert doc.identifier == stem
        expected = EQF_SCHEME if stem == "eqf" else f"{BASE}framework/{stem}"
        assert doc.scheme == expected
        assert all(q.graph_name == ox.NamedNode(expected) for q in doc.quads)


def test_irish_nfq_7_and_scqf_9_both_resolve_to_eqf_6() -> None:
    store = ox.Store()
    for doc in shipped().values():
        store.extend(doc.quads)
    query = f"""
        PREFIX skos: <{SKOS}> PREFIX mcg: <{MCG}>
        SELECT ?level ?eqf ?notation WHERE {{
          GRAPH ?framework {{
            ?framework a mcg:QualificationsFramework .
            ?level skos:inScheme ?framework ; skos:exactMatch|skos:broadMatch ?eqf
          }}
          GRAPH <{EQF_SCHEME}> {{ ?eqf skos:notation ?notation }}
        }}"""
    for label in ("IE NQF Level 7", "SCQF Level 9"):
        level = ox.NamedNode(europass_iri(label))
        rows = list(store.query(query, substitutions={ox.Variable("level"): level}))
        assert [(r["eqf"].value, r["notation"].value) for r in rows] == [(EQF + "6", "6")], label


def test_europass_level_concepts_are_the_level_iris() -> None:
    nqf = europass_nqf()
    used = {iri for doc in shipped().values() for iri in levels(doc).values()}
    europass_used = {iri for iri in used if iri.startswith("http://data.europa.eu/snb/qdr/")}
    assert europass_used <= set(nqf), europass_used - set(nqf)
    prefixes = {europass_prefix(nqf[iri]) for iri in europass_used}
    assert prefixes == EUROPASS_PREFIXES
    wanted = {iri for iri, label in nqf.items() if europass_prefix(label) in prefixes}
    assert wanted == europass_used, sorted(nqf[i] for i in wanted ^ europass_used)
    for stem in NATIONAL | {"fr-rncp"}:
        doc = shipped()[stem]
        (concept,) = values(doc, doc.scheme, MCG + "europassConcept")
        assert concept.value in nqf and europass_prefix(nqf[concept.value]) is None, stem


def test_level_counts_and_eqf_descriptors() -> None:
    docs = shipped()
    assert len(levels(docs["ie-nfq"])) == 10
    assert len(levels(docs["uk-scqf"])) == 12
    assert len(levels(docs["nl-nlqf"])) == 10  # entry level, 1..8, 4+
    eqf = docs["eqf"]
    assert sorted(levels(eqf), key=int) == [str(n) for n in range(1, 9)]
    for notation, level in levels(eqf).items():
        assert level == EQF + notation
        for kind in ("knowledge", "skills", "responsibilityAutonomy"):
            (text,) = values(eqf, level, f"{MCG}{kind}Descriptor")
            assert isinstance(text, ox.Literal) and text.language == "en" and len(text.value) > 15


def test_referencing_tables_follow_the_reports() -> None:
    docs = shipped()
    ie = referencing_table(docs["ie-nfq"])
    assert {n: t and t[0][len(EQF) :] for n, t in ie.items()} == {
        "1": "1", "2": "1", "3": "2", "4": "3", "5": "4",
        "6": "5", "7": "6", "8": "6", "9": "7", "10": "8",
    }  # fmt: skip
    scqf = referencing_table(docs["uk-scqf"])
    assert scqf["1"] is None and scqf["2"] is None and scqf["3"] == (EQF + "1", "exact")
    assert scqf["9"] == scqf["10"] == (EQF + "6", "broad")
    nl = referencing_table(docs["nl-nlqf"])
    assert nl["entry"] is None and nl["4"] == nl["4+"] == (EQF + "4", "broad")
    for stem in ("de-dqr", "at-nqr", "pl-pqf", "cz-nsk", "fr-cnc"):
        table = referencing_table(docs[stem])
        assert table == {str(n): (f"{EQF}{n}", "exact") for n in range(1, 9)}, stem


def test_exact_only_where_a_level_is_alone_at_its_eqf_level() -> None:
    for stem, doc in shipped().items():
        if stem == "eqf":
            continue
        table = referencing_table(doc)
        for notation, mapped in table.items():
            level = levels(doc)[notation]
            if mapped is None:
                assert values(doc, level, MCG + "eqfCorrespondence") == [
                    ox.NamedNode(MCG + "notReferenced")
                ]
                assert values(doc, level, SKOS + "scopeNote"), (stem, notation)
                continue
            sharing = [n for n, m in table.items() if m and m[0] == mapped[0]]
            narrower = stem == "nl-nlqf" and notation == "4+"
            expected = "broad" if len(sharing) > 1 or narrower else "exact"
            assert mapped[1] == expected, (stem, notation, sharing)


def test_qf_ehea_cycles_correspond_to_eqf_5_to_8() -> None:
    doc = shipped()["qf-ehea"]
    base = f"{BASE}framework/qf-ehea/"
    for cycle, eqf in (("short", 5), ("first", 6), ("second", 7), ("third", 8)):
        level = base + f"{cycle}-cycle"
        assert values(doc, level, SKOS + "exactMatch") == [ox.NamedNode(f"{EQF}{eqf}")]
        notes = " ".join(v.value for v in values(doc, level, SKOS + "scopeNote"))
        assert ("ECTS" in notes) and (cycle == "third" or re.search(r"\d+-\d+ ECTS", notes))


def test_every_referencing_names_its_source_and_date() -> None:
    for stem, doc in shipped().items():
        if stem == "eqf":
            continue
        (referencing,) = values(doc, doc.scheme, MCG + "eqfReferencing")
        (source,) = values(doc, referencing.value, DC + "source")
        assert source.value.startswith(("http://", "https://")), stem
        (date,) = values(doc, referencing.value, DC + "date")
        assert isinstance(date, ox.Literal)
        assert date.datatype.value[len(XSD) :] in {"date", "gYearMonth", "gYear"}, stem


# ---------------------------------------------------------------- CSV


def test_csv_framework_round_trips(tmp_path: Path) -> None:
    path = FRAMEWORKS / "ie-nfq.csv"
    assert is_framework_file(path)
    doc = read_framework(path, base_iri=BASE)
    validate_framework(doc)
    turtle_doc = shipped()["ie-nfq"]
    assert (doc.scheme, doc.identifier) == (turtle_doc.scheme, "ie-nfq")
    assert referencing_table(doc) == referencing_table(turtle_doc)
    (referencing,) = values(doc, doc.scheme, MCG + "eqfReferencing")
    (turtle_referencing,) = values(turtle_doc, turtle_doc.scheme, MCG + "eqfReferencing")
    for predicate in (DC + "source", DC + "date"):
        assert values(doc, referencing.value, predicate) == values(
            turtle_doc, turtle_referencing.value, predicate
        )
    # and back: the CSV's RDF written as Turtle reads as the same framework
    written = tmp_path / "ie-nfq.ttl"
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in doc.quads]
    written.write_bytes(ox.serialize(triples, format=ox.RdfFormat.TURTLE) or b"")
    assert is_framework_file(written)
    again = read_framework(written, base_iri=BASE)
    validate_framework(again)
    assert set(again.quads) == set(doc.quads)


def test_csv_with_an_iri_none_order_and_match() -> None:
    doc = read_framework(FRAMEWORKS / "nl-nlqf.csv", base_iri=BASE)
    validate_framework(doc)
    assert (doc.scheme, doc.identifier) == ("https://example.org/frameworks/nl-nlqf", "nl-nlqf")
    table = referencing_table(doc)
    assert table["entry"] is None and table["4"] == table["4+"] == (EQF + "4", "broad")
    assert table["5"] == (EQF + "5", "exact")
    plus = levels(doc)["4+"]
    assert values(doc, plus, MCG + "levelOrder") == [
        ox.Literal("4.5", datatype=ox.NamedNode(XSD + "decimal"))
    ]
    assert values(doc, doc.scheme, DC + "spatial") == [
        ox.NamedNode("http://publications.europa.eu/resource/authority/country/NLD")
    ]


def test_bad_csv_names_every_row_and_column() -> None:
    with pytest.raises(FrameworkError) as caught:
        read_framework(FRAMEWORKS / "bad-rows.csv", base_iri=BASE)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(FRAMEWORKS / "bad-rows.csv"))
    problems = caught.value.problems
    for where, what in (
        ("row 2, column date", "'2021-13'"),
        ("row 3, column eqf_level", "'9'"),
        ("row 4, column label", "empty"),
        ("row 5, column level", "already on row 4"),
        ("row 5, column match", "'sideways'"),
        ("row 6, column order", "'entry'"),
    ):
        assert any(p.startswith(where) and what in p for p in problems), (where, problems)


@pytest.mark.parametrize(
    ("header", "rows", "where", "what"),
    [
        ("framework,level,label", ["xx,1,One"], "column eqf_level", "missing"),
        ("framework,level,label,eqf_level,colour", ["xx,1,One,1,red"], "column 'colour'", "not"),
        ("framework,level,label,eqf_level,date", ["xx,1,One,1,2020"], "column source", "no row"),
        (
            "framework,level,label,eqf_level,source",
            ["xx,1,One,1,https://e.org/r"],
            "column date",
            "",
        ),
        (
            "framework,level,label,eqf_level,match,source,date",
            ["xx,1,One,6,exact,https://e.org/r,2020", "xx,2,Two,6,,,"],
            "row 2, column match",
            "row(s) 3",
        ),
        (
            "framework,level,label,eqf_level,source,date",
            ["xx,1,One,1,https://e.org/r,2020", "yy,2,Two,2,,"],
            "row 3, column framework",
            "'yy' differs",
        ),
        (
            "framework,level,label,eqf_level,source,date",
            ["Not An Id,1,One,1,https://e.org/r,2020"],
            "row 2, column framework",
            "neither",
        ),
        ("framework,level,label,eqf_level,source,date", [], "file", "no level rows"),
        (
            "framework,level,label,eqf_level,source,date",
            ["xx,1,One,1,https://e.org/r,2020,extra"],
            "row 2",
            "7 fields",
        ),
    ],
)
def test_csv_mistakes_are_refused_naming_row_and_column(
    tmp_path: Path, header: str, rows: list[str], where: str, what: str
) -> None:
    path = tmp_path / "framework.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    with pytest.raises(FrameworkError) as caught:
        read_framework(path, base_iri=BASE)
    assert any(p.startswith(where) and what in p for p in caught.value.problems), caught.value


# ---------------------------------------------------------------- the shapes refuse, naming the level


def test_a_level_with_two_eqf_levels_is_refused() -> None:
    doc = shipped()["ie-nfq"]
    level = levels(doc)["6"]
    problems = problems_of(mutate(doc, lambda q: False, [(level, SKOS + "broadMatch", EQF + "6")]))
    assert any("more than one EQF level" in p for p in problems)
    assert all(p.startswith("level '6'") for p in problems), problems


def test_a_level_without_eqf_level_or_marker_is_refused() -> None:
    doc = shipped()["ie-nfq"]
    level = levels(doc)["7"]
    problems = problems_of(
        mutate(doc, lambda q: q.subject.value == level and q.predicate.value.endswith("Match"), [])
    )
    assert problems == [f"level '7' ({level}): " + problems[0].split(": ", 1)[1]]
    assert "has no EQF level" in problems[0]


def test_a_level_pointing_at_eqf_level_9_is_refused() -> None:
    doc = shipped()["ie-nfq"]
    level = levels(doc)["10"]
    problems = problems_of(
        mutate(
            doc,
            lambda q: q.subject.value == level and q.predicate.value == SKOS + "exactMatch",
            [(level, SKOS + "exactMatch", EQF + "9")],
        )
    )
    assert any("not one of the eight EQF levels" in p for p in problems)
    assert all(p.startswith("level '10'") for p in problems), problems


def test_a_level_without_notation_is_refused() -> None:
    doc = shipped()["uk-scqf"]
    level = levels(doc)["4"]
    problems = problems_of(
        mutate(
            doc, lambda q: q.subject.value == level and q.predicate.value == SKOS + "notation", []
        )
    )
    assert len(problems) == 1 and level in problems[0] and "skos:notation" in problems[0]


def test_a_referencing_without_source_is_refused() -> None:
    doc = shipped()["pl-pqf"]
    problems = problems_of(mutate(doc, lambda q: q.predicate.value == DC + "source", []))
    assert problems == [
        "EQF referencing of pl-pqf: the EQF referencing needs a dc:source: the IRI of the "
        "referencing report or its official page"
    ]


def test_not_referenced_and_mapped_at_once_is_refused() -> None:
    doc = shipped()["uk-scqf"]
    level = levels(doc)["1"]
    problems = problems_of(mutate(doc, lambda q: False, [(level, SKOS + "exactMatch", EQF + "1")]))
    assert any(p.startswith("level '1'") and "mcg:notReferenced but also" in p for p in problems)


def test_two_exact_matches_to_one_eqf_level_are_refused() -> None:
    doc = shipped()["ie-nfq"]
    seven, eight = levels(doc)["7"], levels(doc)["8"]
    problems = problems_of(
        mutate(
            doc,
            lambda q: (
                q.predicate.value == SKOS + "broadMatch" and q.subject.value in {seven, eight}
            ),
            [(seven, SKOS + "exactMatch", EQF + "6"), (eight, SKOS + "exactMatch", EQF + "6")],
        )
    )
    assert problems == [
        f"{EQF}6: this EQF level is the skos:exactMatch of more than one level of the framework; "
        "levels that share an EQF level use skos:broadMatch (exactMatch is transitive and would "
        "equate them)"
    ]


# ---------------------------------------------------------------- reading and routing files


def test_a_plain_concept_scheme_is_read_as_a_framework(tmp_path: Path) -> None:
    path = tmp_path / "xx.ttl"
    path.write_text(
        f"""@prefix skos: <{SKOS}> . @prefix dc: <{DC}> . @prefix xsd: <{XSD}> .
        <framework/xx> a skos:ConceptScheme ; dc:identifier "xx" ; skos:prefLabel "XX"@en ;
            <{MCG}eqfReferencing> <framework/xx/ref> .
        <framework/xx/ref> dc:source <https://example.org/report> ; dc:date "2024"^^xsd:gYear .
        <framework/xx/1> skos:inScheme <framework/xx> ; skos:notation "1" ;
            skos:prefLabel "XX 1"@en ; skos:exactMatch <{EQF}3> ; <{MCG}levelOrder> 1.0 .""",
        encoding="utf-8",
    )
    assert is_framework_file(path)
    doc = read_framework(path, base_iri="https://example.org/")
    assert (doc.scheme, doc.identifier) == ("https://example.org/framework/xx", "xx")
    validate_framework(doc)


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("<a> <b> ", "malformed Turtle"),
        (
            f"<http://e.org/s1> a <{SKOS}ConceptScheme> . <http://e.org/s2> a <{SKOS}ConceptScheme> .",
            "exactly one concept scheme",
        ),
        (f"<http://e.org/x> <{SKOS}prefLabel> 'x' .", "found none"),
    ],
)
def test_unusable_turtle_is_refused(tmp_path: Path, text: str, what: str) -> None:
    path = tmp_path / "framework.ttl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FrameworkError, match=what):
        read_framework(path, base_iri=BASE)


def test_credential_files_are_not_routed_as_frameworks(tmp_path: Path) -> None:
    assert not is_framework_file(DATA / "specification-conforming.ttl")
    assert not is_framework_file(DATA / "catalogue-good.csv")
    assert not is_framework_file(tmp_path / "missing.ttl")
    other = tmp_path / "x.json"
    other.write_text("{}", encoding="utf-8")
    with pytest.raises(McgraphError, match=r"is \.ttl or \.csv, not \.json"):
        read_framework(other, base_iri=BASE)
