"""Stacking pathways over a store of generated credentials: the closure and gap answers agree
with an independent brute-force model of the generated data; a document that would close a
part/whole cycle is rejected at ingestion and changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from mcgraph.service import Service
from mcgraph.settings import Settings
from mcgraph.synthetic import generate, write_dataset
from stacking_oracle import Oracle, check_against_oracle, cycle_document

COUNT = 3000
SEED = 11


@pytest.fixture(scope="module")
def loaded(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    data = tmp_path_factory.mktemp("stacking-data")
    write_dataset(data, count=COUNT, seed=SEED, fmt="nquads")
    service = Service(settings.replace(store=tmp_path_factory.mktemp("stacking-store")))
    assert service.install_frameworks()
    summary = service.load([data])
    assert summary.stored == COUNT and not summary.failed
    yield service
    service.close()


@pytest.fixture(scope="module")
def oracle() -> Oracle:
    model = Oracle()
    model.scan(c.to_nquads() for c in generate(COUNT, seed=SEED))
    assert model.parts, "the generated data must stack"
    return model


def test_closure_and_gap_match_brute_force(loaded: Service, oracle: Oracle) -> None:
    assert check_against_oracle(loaded, oracle, targets=150, seed=3) >= 20


def test_a_credential_starts_from_its_specification(loaded: Service, oracle: Oracle) -> None:
    credential, spec = next((c, s) for c, s in sorted(oracle.spec_of.items()) if s in oracle.wholes)
    answer = loaded.pathways(credential)
    assert answer.starts == [spec]
    assert answer.reachable("into") == oracle.stacks_into(spec)


def test_generated_levels_agree_with_the_shipped_referencing(loaded: Service) -> None:
    """The generator states NQF levels by the published referencing: no contradiction, and
    the NQF-only route to an EQF level finds credentials."""
    assert loaded.run_named("level-contradictions") == []
    implied = loaded.run_named("credentials-at-level", {"level": "http://data.europa.eu/snb/eqf/6"})
    assert {r["how"] for r in implied} == {"stated", "implied"}


def test_a_cycle_is_rejected_at_ingestion_naming_it(
    loaded: Service, oracle: Oracle, tmp_path: Path
) -> None:
    part, wholes = next((p, w) for p, w in sorted(oracle.wholes.items()))
    whole = sorted(wholes)[0]
    everything = "SELECT (COUNT(*) AS ?quads) WHERE { GRAPH ?g { ?s ?p ?o } }"
    before = loaded.select(everything)
    path = tmp_path / "cycle.jsonld"
    path.write_text(json.dumps(cycle_document(part, whole)), encoding="utf-8")
    summary = loaded.load([path], profile="specification", allow_invalid=True)
    assert summary.rejected == 1 and summary.stored == 0 and summary.stored_invalid == 0
    report = summary.problems[0].report
    assert report is not None
    cycles = [
        r
        for r in report.results
        if r.element == "integration-and-stackability" and r.severity == "violation"
    ]
    assert cycles and part in cycles[0].message and whole in cycles[0].message
    assert loaded.select(everything) == before


def test_the_api_answers_pathways_and_gaps(settings: Settings, tmp_path: Path) -> None:
    from live_server import running_server

    data, store = tmp_path / "data", tmp_path / "store"
    write_dataset(data, count=400, seed=SEED, fmt="nquads")
    service = Service(settings.replace(store=store))
    try:
        assert service.load([data]).stored == 400
    finally:
        service.close()
    model = Oracle()
    model.scan(c.to_nquads() for c in generate(400, seed=SEED))
    whole = next(w for w in sorted(model.parts) if model.built_from(w))
    part = sorted(model.built_from(whole))[0]
    credential = next(c for c, s in sorted(model.spec_of.items()) if s == part)
    with running_server(store) as base:
        answer = httpx.get(f"{base}/api/credentials/{quote(credential, safe='')}/pathways")
        assert answer.status_code == 200
        assert set(answer.json()["stacksInto"]) == model.stacks_into(part)
        assert answer.json()["specifications"] == [part]
        missing = httpx.get(f"{base}/api/credentials/{quote('urn:no:such', safe='')}/pathways")
        assert missing.status_code == 404
        gap = httpx.post(f"{base}/api/pathways/gap", json={"held": [credential], "target": whole})
        assert gap.status_code == 200
        assert [m["specification"] for m in gap.json()["missing"]] == model.missing(whole, {part})
        bad = httpx.post(f"{base}/api/pathways/gap", json={"held": [], "target": "urn:no:such"})
        assert bad.status_code == 404
        assert bad.headers["content-type"].startswith("application/problem+json")
