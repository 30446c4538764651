"""The fast engines report exactly what pySHACL (the reference) reports: on the test corpus
(the EU samples, every mutation of them, the catalogue specification), and for the native
engine (the default) on hand-written shapes that use every SHACL feature of the compiled
subset, including the literals rdflib normalises or finds ill-typed."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import DATA, sample_json
from mcgraph.documents import RdfDocument, read_document
from mcgraph.settings import Settings
from mcgraph.validation import DocumentReport, ValidationResult, Validator
from mcgraph.validation.native_engine import NativeEngine
from mcgraph.validation.pyshacl_engine import PyshaclEngine
from mcgraph.validation.shapes import external_shapes, profile_shapes
from mcgraph.validation.sparql_engine import SparqlEngine
from mutations import BREAK_VALUE, REMOVE_MANDATORY, REMOVE_OPTIONAL, make_conforming
from test_annex1_validation import REMOVE_FROM_SPEC

FAST_ENGINES = ["native", "sparql"]


def _key(results: list[ValidationResult]) -> Counter[tuple[object, ...]]:
    return Counter(
        (r.element, r.severity, r.focus, r.path, r.value, r.message, r.source_shape)
        for r in results
    )


def _corpus(as_document) -> list[RdfDocument]:  # type: ignore[no-untyped-def]
    docs = []
    for name in (
        "Sample-MC-Annex1-signed.jsonld",
        "Sample-MC-Annex1-unsigned.jsonld",
        "Sample-CertOfPart-unsigned.jsonld",
        "credential-sample.jsonld",
    ):
        docs.append(as_document(sample_json(name), name))
    mutations = [m for m in REMOVE_MANDATORY.values()] + list(REMOVE_OPTIONAL.values())
    mutations += [mutate for _, mutate in BREAK_VALUE.values()]
    for index, mutate in enumerate(mutations):
        doc = make_conforming(sample_json("Sample-MC-Annex1-signed.jsonld"))
        mutate(doc)
        docs.append(as_document(doc, f"mutation-{index}.jsonld"))
    spec = as_document(
        (DATA / "specification-conforming.ttl").read_text(encoding="utf-8"), "spec.ttl"
    )
    docs.append(spec)
    for element, pairs in REMOVE_FROM_SPEC.items():
        drop = {(ox.NamedNode(s), ox.NamedNode(p)) for s, p in pairs}
        quads = tuple(q for q in spec.quads if (q.subject, q.predicate) not in drop)
        docs.append(dataclasses.replace(spec, source=f"spec-without-{element}", quads=quads))
    return docs


def test_native_is_the_default(validator: Validator) -> None:
    assert validator.engine_name == "native"
    assert isinstance(validator.engine("issued"), NativeEngine)


@pytest.mark.parametrize("engine", FAST_ENGINES)
def test_fast_engine_matches_pyshacl_on_the_corpus(
    engine: str, settings: Settings, pyshacl_validator: Validator, as_document
) -> None:  # type: ignore[no-untyped-def]
    corpus = _corpus(as_document)
    # one batch: documents must not leak into each other
    fast = Validator(settings=settings, engine=engine).validate_documents(corpus)
    reference = [pyshacl_validator.validate_documents([doc])[0] for doc in corpus]
    assert len(corpus) > 30
    for ours, theirs in zip(fast, reference, strict=True):
        assert ours.profile == theirs.profile
        assert _key(ours.results) == _key(theirs.results), ours.source
    assert sum(len(r.results) for r in reference) > 50  # the corpus exercises the shapes


@pytest.mark.parametrize("engine", FAST_ENGINES)
def test_batch_results_equal_one_by_one(engine: str, settings: Settings, as_document) -> None:  # type: ignore[no-untyped-def]
    validator = Validator(settings=settings, engine=engine)
    corpus = _corpus(as_document)
    batch: list[DocumentReport] = validator.validate_documents(corpus)
    single = [validator.validate_documents([doc])[0] for doc in corpus]
    assert [_key(r.results) for r in batch] == [_key(r.results) for r in single]


@pytest.mark.parametrize("profile", ["issued", "specification"])
def test_every_generated_shape_is_compiled(profile: str) -> None:
    shapes = profile_shapes(profile)
    assert {check.shape for check in NativeEngine(shapes).checks} == set(shapes.element_of)
    assert {check.shape for check in SparqlEngine(shapes).checks} == set(shapes.element_of)


# -- the whole compiled subset, on hand-written shapes ------------------------------------------

SUBSET_SHAPES = """\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .

ex:Things a sh:NodeShape ;
    sh:targetClass ex:Thing ;
    sh:property ex:owned, ex:parts, ex:chain, ex:alias, ex:tags, ex:maker, ex:extra, ex:code,
        ex:label, ex:count, ex:length, ex:when, ex:part, ex:title, ex:words, ex:size,
        ex:ancestors .
ex:owned sh:path [ sh:inversePath ex:owns ] ; sh:minCount 1 ; sh:message "nobody owns it" .
ex:parts sh:path ( ex:part [ sh:zeroOrMorePath ex:part ] ) ; sh:class ex:Part ;
    sh:message "a part (or part of one) is not a Part" .
ex:chain sh:path [ sh:oneOrMorePath ex:next ] ; sh:maxCount 2 ; sh:message "chain too long" .
ex:alias sh:path [ sh:zeroOrOnePath ex:alias ] ; sh:nodeKind sh:IRI ;
    sh:message "an alias is not an IRI" .
ex:tags sh:path ex:tag ; sh:minCount 2 ; sh:maxCount 3 ; sh:message "two or three tags" .
ex:maker sh:path ex:maker ; sh:minCount 1 ; sh:class ex:Agent ; sh:message "maker" .
ex:extra sh:path [ sh:alternativePath ( ex:note ( ex:part ex:note ) ) ] ;
    sh:nodeKind sh:BlankNodeOrLiteral ; sh:message "a note is an IRI" .
ex:code sh:path ex:code ; sh:in ( "a" "b"@en 5 ex:c ) ; sh:message "unknown code" .
ex:label sh:path ex:label ; sh:pattern "b+c" ; sh:flags "i" ; sh:message "label pattern" .
ex:count sh:path ex:count ; sh:datatype xsd:integer ; sh:message "count not an integer" .
ex:length sh:path ex:length ; sh:datatype xsd:duration ; sh:pattern "^PT" ;
    sh:message "length not a duration in hours" .
ex:when sh:path ex:when ; sh:or ( [ sh:datatype xsd:date ] [ sh:datatype xsd:dateTime ] ) ;
    sh:message "when is not a date" .
ex:part sh:path ex:part ; sh:node ex:Named ; sh:message "a part has no name" .
ex:Named a sh:NodeShape ; sh:nodeKind sh:BlankNodeOrIRI ;
    sh:property [ sh:path ex:name ; sh:minCount 1 ] .
ex:title sh:path ex:title ; sh:datatype rdf:langString ; sh:message "title without language" .
ex:words sh:path ex:words ; sh:datatype xsd:string ; sh:maxCount 1 ; sh:message "words" .
ex:size sh:path ex:size ; sh:in ( 5 ) ; sh:maxCount 1 ; sh:message "size" .
ex:ancestors sh:path [ sh:zeroOrMorePath [ sh:inversePath ex:child ] ] ; sh:nodeKind sh:IRI ;
    sh:message "an anonymous ancestor" .

ex:Owners a sh:NodeShape ;
    sh:targetSubjectsOf ex:owns ;
    sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:message "an owner has no name" ] .
ex:Owned a sh:NodeShape ;
    sh:targetObjectsOf ex:owns ;
    sh:property [ sh:path ex:tag ; sh:nodeKind sh:Literal ; sh:message "an IRI tag" ] ,
        [ sh:path ex:name ; sh:minCount 1 ; sh:message "an owned thing has no name" ] .
"""

SUBSET_DATA = [
    # conforms to everything
    """
    ex:t1 a ex:Thing ; ex:tag "x", "y" ; ex:code "b"@en, 5, ex:c ; ex:label "ABCdef" ;
        ex:count 3 ; ex:length "PT60M"^^xsd:duration ; ex:when "2024-05-01"^^xsd:date ;
        ex:part ex:p1 ; ex:title "T"@en ; ex:maker ex:ada ; ex:alias ex:t1b .
    ex:ada a ex:Person . ex:Person rdfs:subClassOf ex:Agent .
    ex:p1 a ex:Part ; ex:name "wheel" .
    ex:owner ex:owns ex:t1 ; ex:name "Owner" . ex:t1 ex:name "t1" .
    """,
    # breaks each constraint at least once
    """
    ex:t2 a ex:Gadget ; ex:tag "x", ex:iri-tag, "z", "w" ; ex:next ex:n1 ;
        ex:code "a", "b", "c", 6, ex:d ; ex:label "xabc", "xyz", ex:abcIri, ex:xyzIri, _:b1 ;
        ex:count "3.5"^^xsd:integer, "x"^^xsd:integer, 4.0, "7" ;
        ex:length "PT60H"^^xsd:duration, "P1D"^^xsd:duration, "soon"^^xsd:duration ;
        ex:when "2024-13-01"^^xsd:date, "2024-05-01T10:00:00Z"^^xsd:dateTime, "May" ;
        ex:part ex:p2, _:b2, "literal part" ; ex:note ex:noteIri, "fine" ;
        ex:alias "alias", ex:alias2 ; ex:maker ex:bob, "someone" ;
        ex:title "untitled", "T"@fr ; ex:words "one", "one"^^xsd:string, "two"@en ;
        ex:size "05"^^xsd:integer, "5"^^xsd:integer .
    ex:Gadget rdfs:subClassOf ex:Widget . ex:Widget rdfs:subClassOf ex:Thing .
    ex:n1 ex:next ex:n2 . ex:n2 ex:next ex:n3 . ex:n3 ex:next ex:n1 .
    ex:p2 ex:part ex:p3 ; ex:note ex:deepNoteIri . ex:p3 a ex:Part ; ex:part ex:p2 .
    _:b2 a ex:Part ; ex:name "b2" .
    ex:bob a ex:Robot .
    ex:alias2 ex:alias _:alias3 .
    ex:owner ex:owns ex:other, "PT60H"^^xsd:duration, "P2DT12H"^^xsd:duration .
    ex:other ex:tag ex:bad-tag .
    ex:mom ex:child ex:t2 . _:gran ex:child ex:mom .
    """,
    # a blank focus node, which sh:zeroOrOnePath reaches (and sh:nodeKind sh:IRI refuses)
    """
    [] a ex:Thing ; ex:tag "x" .
    """,
]
PREFIXES = """\
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""


@pytest.fixture(scope="module")
def subset_shapes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("shapes") / "subset.ttl"
    path.write_text(SUBSET_SHAPES, encoding="utf-8")
    return path


@pytest.mark.parametrize("index", range(len(SUBSET_DATA)))
def test_native_engine_matches_pyshacl_on_the_whole_subset(
    index: int, subset_shapes: Path, settings: Settings, resolver
) -> None:  # type: ignore[no-untyped-def]
    shapes = external_shapes(subset_shapes)
    doc = read_document(
        (PREFIXES + SUBSET_DATA[index]).encode(),
        source=f"subset-{index}.ttl",
        settings=settings,
        resolver=resolver,
    )
    ours = NativeEngine(shapes).validate(doc.quads)
    reference = PyshaclEngine(shapes).validate(doc.quads)
    assert _key(ours) == _key(reference)
    if index == 0:
        assert reference == []
    elif index == 1:  # every shape fails somewhere, so every feature was exercised
        failed = {r.source_shape or r.message for r in reference}
        expected = {str(c.shape) or c.message for c in NativeEngine(shapes).checks}
        # but "05" and "5" (xsd:integer) are one value to rdflib: 5, once, in the list
        assert failed == expected - {"http://example.org/size"}
        # rdflib's view of literals, which pySHACL reports: normalised, and ill-typed ones
        values = {r.value for r in reference}
        assert '"P2DT12H"^^<http://www.w3.org/2001/XMLSchema#duration>' in values
        assert '"x"^^<http://www.w3.org/2001/XMLSchema#integer>' in values
        # rdflib's "a" in the shapes has no datatype: not the data's "a" (xsd:string)
        assert '"a"' in values
        # two literal focus nodes (sh:targetObjectsOf) that rdflib makes one
        nameless = [r.focus for r in reference if r.message == "an owned thing has no name"]
        assert sorted(nameless) == [
            '"P2DT12H"^^<http://www.w3.org/2001/XMLSchema#duration>',
            "http://example.org/other",
        ]
    else:
        assert {r.message for r in reference} >= {
            "an alias is not an IRI",
            "two or three tags",
            "maker",
        }


def test_native_engine_runs_extra_shapes_through_the_validator(
    subset_shapes: Path, settings: Settings, resolver
) -> None:  # type: ignore[no-untyped-def]
    """External shape files in the subset run on the native engine too, beside Annex I."""
    text = (
        PREFIXES
        + SUBSET_DATA[1]
        + "ex:t2 a <http://data.europa.eu/snb/model/elm/EuropeanDigitalCredential> ."
    )
    doc = read_document(text.encode(), source="both.ttl", settings=settings, resolver=resolver)
    native = Validator(settings=settings, extra_shapes=[subset_shapes])
    assert all(isinstance(engine, NativeEngine) for engine in native.engines("issued"))
    reference = Validator(settings=settings, extra_shapes=[subset_shapes], engine="pyshacl")
    ours, theirs = native.validate_documents([doc])[0], reference.validate_documents([doc])[0]
    assert ours.profile == theirs.profile == "issued"
    assert _key(ours.results) == _key(theirs.results)
    shapes = {r.source_shape or "" for r in ours.results}
    assert any(s.startswith("http://example.org/") for s in shapes)  # ours
    assert any(s.startswith("https://w3id.org/mcgraph/shapes/issued/") for s in shapes)  # Annex I
