"""Stacking pathways on the generated 100k-credential graph: every whole's closure and gap
answer match the independent brute-force model; a cycle is rejected at ingestion."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from big_graph import BigGraph
from mcgraph.service import Service
from mcgraph.settings import Settings
from mcgraph.synthetic import generate
from stacking_oracle import Oracle, check_against_oracle, cycle_document

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def oracle(big_graph: BigGraph) -> Oracle:
    model = Oracle()
    model.scan(c.to_nquads() for c in generate(big_graph.count, seed=big_graph.seed))
    return model


def test_closure_and_gap_match_brute_force_at_100k(
    big_graph: BigGraph, oracle: Oracle, settings: Settings
) -> None:
    service = Service(settings.replace(store=big_graph.store), read_only=True)
    try:
        compared = check_against_oracle(service, oracle, targets=len(oracle.parts), seed=5)
    finally:
        service.close()
    assert compared == len(oracle.parts) > 1000  # every whole of the 100k graph


def test_a_cycle_is_rejected_at_ingestion_at_100k(
    big_graph: BigGraph, oracle: Oracle, settings: Settings, tmp_path: Path
) -> None:
    # a chain of three: the top claims to be part of the bottom
    bottom = next(p for p in sorted(oracle.wholes) if oracle.stacks_into(p) - oracle.wholes[p])
    top = sorted(oracle.stacks_into(bottom) - oracle.wholes[bottom])[0]
    path = tmp_path / "cycle.jsonld"
    path.write_text(json.dumps(cycle_document(bottom, top)), encoding="utf-8")
    service = Service(settings.replace(store=big_graph.store))
    try:
        everything = "SELECT (COUNT(*) AS ?quads) WHERE { GRAPH ?g { ?s ?p ?o } }"
        before = service.select(everything)
        summary = service.load([path], source="cycle-test", profile="specification")
        assert summary.rejected == 1 and not summary.stored
        assert summary.problems[0].report is not None
        cycle = [
            r
            for r in summary.problems[0].report.results
            if r.element == "integration-and-stackability" and r.severity == "violation"
        ]
        assert len(cycle) == 1 and bottom in cycle[0].message and top in cycle[0].message
        assert service.select(everything) == before
    finally:
        service.close()
