"""The compiled SPARQL engine reports exactly what pySHACL (the reference) reports, on the
test corpus: the EU samples, every mutation of them, and the catalogue specification."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pyoxigraph as ox
import pytest

from conftest import DATA, sample_json
from mcgraph.documents import RdfDocument
from mcgraph.validation import DocumentReport, Validator
from mcgraph.validation.shapes import profile_shapes
from mcgraph.validation.sparql_engine import SparqlEngine
from mutations import BREAK_VALUE, REMOVE_MANDATORY, REMOVE_OPTIONAL, make_conforming
from test_annex1_validation import REMOVE_FROM_SPEC


def _key(report: DocumentReport) -> Counter[tuple[object, ...]]:
    return Counter(
        (r.element, r.severity, r.focus, r.path, r.value, r.message, r.source_shape)
        for r in report.results
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


def test_sparql_engine_matches_pyshacl(
    validator: Validator, pyshacl_validator: Validator, as_document
) -> None:  # type: ignore[no-untyped-def]
    corpus = _corpus(as_document)
    fast = validator.validate_documents(
        corpus
    )  # one batch: documents must not leak into each other
    reference = [pyshacl_validator.validate_documents([doc])[0] for doc in corpus]
    assert len(corpus) > 30
    for ours, theirs in zip(fast, reference, strict=True):
        assert ours.profile == theirs.profile
        assert _key(ours) == _key(theirs), ours.source
    assert sum(len(r.results) for r in reference) > 50  # the corpus exercises the shapes


def test_batch_results_equal_one_by_one(validator: Validator, as_document) -> None:  # type: ignore[no-untyped-def]
    corpus = _corpus(as_document)
    batch = validator.validate_documents(corpus)
    single = [validator.validate_documents([doc])[0] for doc in corpus]
    assert [_key(r) for r in batch] == [_key(r) for r in single]


@pytest.mark.parametrize("profile", ["issued", "specification"])
def test_every_generated_shape_is_compiled(profile: str) -> None:
    engine = SparqlEngine(profile_shapes(profile))
    compiled = {check.shape for check in engine.checks}
    assert compiled == set(profile_shapes(profile).element_of)
