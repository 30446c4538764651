"""The same provider or credential from two sources: linked (owl:sameAs, mcg:statedIn) and
their disagreements on mandatory elements queryable (queries/same-as.rq, source-conflicts.rq)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from mcgraph.ingest import recover_incomplete
from mcgraph.linking import (
    ElementValue,
    compute_links,
    links_graph,
    links_update,
    rebuild_links,
)
from mcgraph.service import Service
from mcgraph.settings import Settings
from mcgraph.store import EmbeddedStore
from mcgraph.synthetic import write_dataset
from mcgraph.vocab import ELM, MCG, OWL

SYN = "https://synthetic.mcgraph.example/"
RENAMED = "https://registry.example/provider/"


def _graph(lines: list[str], number: int) -> list[str]:
    return [line for line in lines if line.endswith(f"<{SYN}credential/{number}> .")]


def _awarding_body(lines: list[str]) -> str:
    found = {
        m.group(1) for line in lines if (m := re.search(rf"<{ELM}awardingBody> <([^>]+)>", line))
    }
    assert len(found) == 1
    return found.pop()


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> Iterator[Service]:
    """Source alpha: six credentials. Source beta: credential 1 with another EQF level;
    credential 2 with its awarding body under another IRI (same legal identifiers) and
    without its accreditation."""
    root = tmp_path_factory.mktemp("linking")
    write_dataset(root / "alpha", count=6, seed=1, fmt="nquads")
    lines = (root / "alpha" / "credentials.nq").read_text(encoding="utf-8").splitlines()
    first = "\n".join(_graph(lines, 1))
    level = re.search(r"eqf/(\d)>", first)
    assert level is not None
    other_level = "3" if level.group(1) != "3" else "4"
    first = first.replace(f"eqf/{level.group(1)}>", f"eqf/{other_level}>")
    second = _graph(lines, 2)
    body = _awarding_body(second)
    number = body.rsplit("/", 1)[1]
    second = [
        line.replace(f"<{body}", f"<{RENAMED}{number}")
        for line in second
        if not line.startswith(f"<{body}> <{ELM}accreditation>")
    ]
    (root / "beta.nq").write_text(first + "\n" + "\n".join(second) + "\n", encoding="utf-8")
    service = Service(settings.replace(store=root / "store"))
    assert service.load([root / "alpha" / "credentials.nq"], source="alpha").stored == 6
    summary = service.load([root / "beta.nq"], source="beta", allow_invalid=True)
    assert (summary.stored, summary.stored_invalid) == (1, 1)  # credential 2: no accreditation
    service.body = body  # type: ignore[attr-defined]
    service.levels = (level.group(1), other_level)  # type: ignore[attr-defined]
    rebuild_links(service.repository)
    yield service
    service.close()


def test_same_iri_from_two_sources_is_stated_in_one_graph_of_each(linked: Service) -> None:
    rows = {r["entity"]: r for r in linked.run_named("same-as") if r["basis"] == "same-iri"}
    credential = rows[f"{SYN}credential/1"]
    assert set((credential["entitySources"] or "").split()) == {
        f"{linked.repository.base_iri}source/alpha",
        f"{linked.repository.base_iri}source/beta",
    }
    # credential 3 is only in alpha: not recognised as shared
    assert f"{SYN}credential/3" not in rows


def test_provider_with_same_legal_identifier_is_linked_with_owl_same_as(linked: Service) -> None:
    body = linked.body  # type: ignore[attr-defined]
    renamed = RENAMED + body.rsplit("/", 1)[1]
    rows = linked.run_named("same-as", {"resource": body})
    assert [(r["sameAs"], r["basis"]) for r in rows if r["basis"] == "linked"] == [
        (renamed, "linked")
    ]
    linked_row = next(r for r in rows if r["basis"] == "linked")
    assert linked_row["sameAsSources"] == f"{linked.repository.base_iri}source/beta"
    stored = linked.select(
        f"SELECT ?o WHERE {{ GRAPH <{links_graph(linked.repository.base_iri)}> "
        f"{{ <{renamed}> <{OWL}sameAs> ?o }} }}"
    )
    assert [r["o"] for r in stored] == [body]


def test_conflicts_name_the_element_both_values_and_both_sources(linked: Service) -> None:
    low, high = linked.levels  # type: ignore[attr-defined]
    rows = linked.run_named("source-conflicts")
    eqf = [r for r in rows if r["field"] == "eqf-level"]
    assert {r["entity"] for r in eqf} >= {f"{SYN}credential/1"}
    row = next(r for r in eqf if r["entity"] == f"{SYN}credential/1")
    assert (row["value1"], row["value2"]) == (
        f"http://data.europa.eu/snb/eqf/{low}",
        f"http://data.europa.eu/snb/eqf/{high}",
    )
    assert row["source1"] == f"{linked.repository.base_iri}source/alpha"
    assert row["source2"] == f"{linked.repository.base_iri}source/beta"
    # the provider under two linked IRIs: accreditation present in alpha, absent in beta
    body = linked.body  # type: ignore[attr-defined]
    qa = {(r["entity"], r["other"]): r for r in rows if r["field"] == "quality-assurance"}
    provider = qa[(body, RENAMED + body.rsplit("/", 1)[1])]
    assert (provider["value1"], provider["value2"]) == ("present", "")
    assert (f"{SYN}credential/2", f"{SYN}credential/2") in qa
    # the same awarding body under linked IRIs is no disagreement; agreeing elements neither
    assert not [r for r in rows if r["field"] == "awarding-body"]
    assert not [r for r in rows if r["field"] in ("nqf-level", "credit-points")]


def test_element_parameter_keeps_one_element(linked: Service) -> None:
    rows = linked.run_named("source-conflicts", {"element": "quality-assurance"})
    assert rows and {r["field"] for r in rows} == {"quality-assurance"}
    assert linked.run_named("source-conflicts", {"element": "credit-points"}) == []


def test_links_graph_records_each_sides_element_values(linked: Service) -> None:
    """What source-conflicts compares is in the links graph: credential 1's EQF level as each
    source's document states it, and values only for resources stated in that graph."""
    low, high = linked.levels  # type: ignore[attr-defined]
    graph = links_graph(linked.repository.base_iri)
    rows = linked.select(
        f"SELECT ?entity ?g ?element ?value ?source WHERE {{ GRAPH <{graph}> {{ "
        f"?r <{MCG}of> ?entity ; <{MCG}inGraph> ?g ; "
        f"<{MCG}elementKey> ?element ; <{MCG}value> ?value }} "
        f"?g <http://purl.org/dc/terms/source> ?source }}"
    )
    levels = {
        (r["source"] or "").rsplit("/", 1)[1]: r["value"]
        for r in rows
        if r["entity"] == f"{SYN}credential/1" and r["element"] == "eqf-level"
    }
    assert levels == {
        "alpha": f"http://data.europa.eu/snb/eqf/{low}",
        "beta": f"http://data.europa.eu/snb/eqf/{high}",
    }
    stated = {
        (r["e"], r["g"])
        for r in linked.select(
            f"SELECT ?e ?g WHERE {{ GRAPH <{graph}> {{ ?e <{MCG}statedIn> ?g }} }}"
        )
    }
    assert {(r["entity"], r["g"]) for r in rows} <= stated
    assert f"{SYN}credential/3" not in {r["entity"] for r in rows}


def test_links_graph_survives_recovery_of_a_killed_load(linked: Service) -> None:
    """Recovery drops document graphs without a record; the links graph is none of them."""
    graph = links_graph(linked.repository.base_iri)
    ask = f"SELECT ?s WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} LIMIT 1"
    assert linked.select(ask)
    recover_incomplete(linked.repository)
    assert linked.select(ask)


def test_rebuild_replaces_the_links_after_a_delete(linked: Service) -> None:
    graph = links_graph(linked.repository.base_iri)
    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    before = rebuild_links(linked.repository)
    assert before.same_as == 1 and before.shared >= 3
    assert int(linked.select(count)[0]["n"] or 0) == before.statements
    assert rebuild_links(linked.repository) == before  # idempotent, nothing accumulates
    linked.delete(linked.source_graphs("beta"))
    after = rebuild_links(linked.repository)
    assert (after.shared, after.same_as, after.statements) == (0, 0, 0)
    assert linked.run_named("same-as") == [] and linked.run_named("source-conflicts") == []


def test_one_source_alone_links_nothing_even_with_shared_identifiers() -> None:
    org = ELM + "Organisation"
    occurrences = [
        {"entity": "urn:a", "type": org, "graph": "urn:g1", "source": "urn:s1", "stored": "1"},
        {"entity": "urn:b", "type": org, "graph": "urn:g2", "source": "urn:s1", "stored": "1"},
    ]
    identifiers = [
        {"entity": e, "scheme": "vat", "notation": "123", "spatial": "urn:c"}
        for e in ("urn:a", "urn:b")
    ]
    triples, summary = compute_links(occurrences, identifiers)
    assert (triples, summary.shared) == ([], 0)
    occurrences.append(
        {"entity": "urn:b", "type": org, "graph": "urn:g3", "source": "urn:s2", "stored": "2"}
    )
    triples, summary = compute_links(occurrences, identifiers)
    assert ("urn:a", OWL + "sameAs", "urn:b") in triples
    assert ("urn:b", MCG + "statedIn", "urn:g3") in triples
    # a different jurisdiction is another identifier: no link
    identifiers[1] = {**identifiers[1], "spatial": "urn:other"}
    triples, _ = compute_links(occurrences, identifiers)
    assert not [t for t in triples if t[1] == OWL + "sameAs"]


def test_recorded_values_are_escaped_literals() -> None:
    """A value from a document is data in the links update, never SPARQL."""
    store = EmbeddedStore(None)
    tricky = 'x" } } ; DROP ALL ; #\n\\u0022 \\'
    values = [ElementValue("urn:e", "urn:g", "credit-points", tricky, iri=False)]
    store.update(links_update("urn:links", [("urn:e", MCG + "statedIn", "urn:g")], values))
    rows = store.select(
        f"SELECT ?v WHERE {{ GRAPH <urn:links> {{ ?r <{MCG}of> <urn:e> ; <{MCG}value> ?v }} }}"
    )
    assert [r["v"] for r in rows] == [tricky]
