"""The store verbs as a user runs them, on 10 000 generated credentials: load, query (text,
named with typed parameters, every output format), stats, export, delete, backup."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from mcgraph.cli import main
from mcgraph.synthetic import write_dataset

COUNT = 10_000
EQF = "<http://data.europa.eu/snb/model/elm/EQFLevel>"
SPECIFIED_BY = "<http://data.europa.eu/snb/model/elm/specifiedBy>"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    write_dataset(out, count=COUNT, seed=11, fmt="nquads")
    return out


@pytest.fixture(scope="module")
def store(dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    location = tmp_path_factory.mktemp("cli") / "store"
    assert main(["--store", str(location), "load", "--quiet", str(dataset)]) == 0
    return location


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return status, out


def _expected_levels(dataset: Path) -> Counter[str]:
    """Credentials per EQF level, read straight from the generated file (not through mcgraph):
    in each credential's graph, the EQF level of the specification its achievement names."""
    spec_of: dict[str, str] = {}  # graph -> the specification of its achievement
    levels_in: dict[tuple[str, str], str] = {}  # (graph, specification) -> level
    with (dataset / "credentials.nq").open(encoding="utf-8") as lines:
        for line in lines:
            subject, predicate, rest = line.split(" ", 2)
            obj, graph = rest.rsplit(" ", 2)[:2]
            if predicate == SPECIFIED_BY and subject.endswith("/achievement>"):
                spec_of[graph] = obj
            elif predicate == EQF:
                levels_in[(graph, subject)] = obj.strip("<>")
    return Counter(
        levels_in[(graph, spec)] for graph, spec in spec_of.items() if (graph, spec) in levels_in
    )


def test_counts_through_mcgraph_query(
    store: Path, dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = _run(capsys, "--store", str(store), "query", "documents", "--format", "json")
    assert status == 0
    rows = json.loads(out)["results"]["bindings"]
    assert sum(int(r["documents"]["value"]) for r in rows) == COUNT
    _, out = _run(capsys, "--store", str(store), "query", "triples", "--format", "csv")
    triples = int(out.split()[1])
    assert triples > COUNT * 80
    manifest = json.loads((dataset / "_manifest.json").read_text(encoding="utf-8"))
    _, out = _run(
        capsys,
        "--store",
        str(store),
        "query",
        "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?a <http://data.europa.eu/snb/model/elm/awardingBody> ?p }",
        "--format",
        "tsv",
    )
    assert int(out.split()[1].split("^^")[0].strip('"')) == manifest["summary"]["providers"]
    _, out = _run(
        capsys, "--store", str(store), "query", "credentials-per-eqf-level", "--format", "json"
    )
    measured = {
        b["level"]["value"]: int(b["credentials"]["value"])
        for b in json.loads(out)["results"]["bindings"]
    }
    assert measured == dict(_expected_levels(dataset))


def test_loading_again_changes_nothing(
    store: Path, dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, before = _run(capsys, "--store", str(store), "export", "--format", "nquads")
    status, out = _run(capsys, "--store", str(store), "load", "--quiet", str(dataset))
    assert status == 0 and f"unchanged {COUNT}" in out
    _, after = _run(capsys, "--store", str(store), "export", "--format", "nquads")
    assert sorted(before.splitlines()) == sorted(after.splitlines())


def test_named_query_with_typed_parameter(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = _run(
        capsys, "--store", str(store), "query", "credentials-at-eqf-level", "--param", "level=6"
    )
    assert status == 0 and "credential" in out.splitlines()[0]
    status, _ = _run(
        capsys, "--store", str(store), "query", "credentials-at-eqf-level", "--param", "level=9"
    )
    assert status == 2  # not an EQF level: refused before the query runs
    status, _ = _run(capsys, "--store", str(store), "query", "credentials-at-eqf-level")
    assert status == 2  # required parameter missing


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "tsv", "xml"])
def test_select_output_formats(store: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = _run(capsys, "--store", str(store), "query", "documents", "--format", fmt)
    assert status == 0 and "issued" in out


def test_construct_as_rdf(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    query = (
        "CONSTRUCT { ?s <http://purl.org/dc/terms/title> ?t } WHERE { "
        "?s a <http://data.europa.eu/snb/model/elm/Qualification> ; <http://purl.org/dc/terms/title> ?t } LIMIT 3"
    )
    for fmt in ("turtle", "ntriples", "jsonld", "rdfxml"):
        status, out = _run(capsys, "--store", str(store), "query", query, "--format", fmt)
        assert status == 0 and "title" in out


def test_query_from_file(store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "mine.rq"
    file.write_text(
        "# param: level eqf-level required  EQF level\n"
        "SELECT ?spec ?level WHERE { ?spec <http://data.europa.eu/snb/model/elm/EQFLevel> ?level }\n"
    )
    status, out = _run(
        capsys, "--store", str(store), "query", f"@{file}", "--param", "level=7", "--format", "csv"
    )
    assert status == 0 and all("eqf/7" in line for line in out.strip().splitlines()[1:])


def test_bad_query_is_a_usage_error(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _ = _run(capsys, "--store", str(store), "query", "SELEKT nonsense")
    assert status == 2


def test_stats(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = _run(capsys, "--store", str(store), "stats", "--format", "json")
    figures = json.loads(out)
    assert status == 0 and set(figures) == {
        "documents",
        "triples",
        "credentials-per-eqf-level",
        "providers",
    }


def test_export_one_graph_as_turtle(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = _run(
        capsys,
        "--store",
        str(store),
        "query",
        "SELECT ?g WHERE { ?g <http://xmlns.com/foaf/0.1/primaryTopic> "
        "<https://synthetic.mcgraph.example/credential/1> }",
        "--format",
        "csv",
    )
    graph = out.split()[1]
    status, turtle = _run(
        capsys, "--store", str(store), "export", "--graph", graph, "--format", "turtle"
    )
    assert status == 0 and "credential/1" in turtle
    status, _ = _run(capsys, "--store", str(store), "export", "--format", "turtle")
    assert status == 2  # Turtle holds one graph: the whole store needs nquads or trig
