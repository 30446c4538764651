"""The change feed with a real server: the DCAT catalogue lists each source with its documents
and modified date; /api/changes lists what was stored or deleted since a time, keyset-paged."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest

from live_server import running_server
from mcgraph.service import Service
from mcgraph.settings import Settings
from mcgraph.synthetic import write_dataset
from mcgraph.vocab import DC, DCAT, XSD

VOID = "http://rdfs.org/ns/void#"


def _split(nquads: Path, out: Path) -> list[Path]:
    """One N-Quads file per credential graph (so that they can be loaded at different times)."""
    by_graph: dict[str, list[str]] = {}
    for line in nquads.read_text(encoding="utf-8").splitlines():
        if line.strip():
            by_graph.setdefault(line[line.rindex("<") :], []).append(line)
    out.mkdir()
    files = []
    for i, lines in enumerate(by_graph.values()):
        path = out / f"doc-{i}.nq"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        files.append(path)
    return files


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("feed")
    write_dataset(root / "data", count=6, seed=11, fmt="nquads")
    files = _split(root / "data" / "credentials.nq", root / "docs")
    service = Service(settings.replace(store=root / "store"))
    assert service.load(files[:3], source="alpha").stored == 3
    before = service.source_graphs("alpha")
    time.sleep(1.1)  # record times have whole seconds
    since = dt.datetime.now(dt.UTC).replace(microsecond=0)
    assert service.load(files[3:], source="beta").stored == 3
    after = service.source_graphs("beta")
    deleted = sorted(before)[0]
    assert service.delete([deleted]) == 1  # leaves a tombstone for the feed
    service.close()
    with running_server(root / "store", token=None) as base:
        yield {
            "base": base,
            "since": since.isoformat().replace("+00:00", "Z"),
            "old": sorted(set(before) - {deleted}),
            "new": sorted(after),
            "deleted": deleted,
        }


def test_catalogue_lists_each_source_with_documents_and_modified(feed: dict[str, Any]) -> None:
    answer = httpx.get(f"{feed['base']}/api/catalogue", headers={"Accept": "text/turtle"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/turtle")
    store = ox.Store()
    store.load(answer.content, format=ox.RdfFormat.TURTLE)
    rows = {
        str(r["name"].value): (int(r["n"].value), r["modified"].value)
        for r in store.query(
            f"SELECT ?name ?n ?modified WHERE {{ ?c a <{DCAT}Catalog> ; <{DCAT}dataset> ?d . "
            f"?d <{DC}identifier> ?name ; <{VOID}entities> ?n ; <{DC}modified> ?modified ; "
            f"<{DCAT}distribution>/<{DCAT}mediaType> ?type }}"
        )  # type: ignore[union-attr]
    }
    assert set(rows) == {"alpha", "beta"}
    assert rows["alpha"][0] == 2 and rows["beta"][0] == 3  # alpha lost one document
    assert rows["beta"][1] >= feed["since"].replace("Z", "+00:00")
    newest = list(
        store.query(f"SELECT ?m WHERE {{ ?c a <{DCAT}Catalog> ; <{DC}modified> ?m }}")  # type: ignore[union-attr]
    )
    assert newest[0]["m"] == ox.Literal(
        max(m for _, m in rows.values()), datatype=ox.NamedNode(XSD + "dateTime")
    )
    # JSON-LD by default; the SPARQL endpoint is the data service
    default = httpx.get(f"{feed['base']}/api/catalogue")
    assert default.headers["content-type"].startswith("application/ld+json")
    store = ox.Store()
    store.load(default.content, format=ox.RdfFormat.JSON_LD)
    assert store.query(
        f"ASK {{ ?s a <{DCAT}DataService> ; <{DCAT}endpointURL> <{feed['base']}/sparql> }}"
    )


def _changes(base: str, **params: Any) -> dict[str, Any]:
    answer = httpx.get(f"{base}/api/changes", params=params)
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    return data


def test_changes_since_lists_what_came_after_and_not_before(feed: dict[str, Any]) -> None:
    data = _changes(feed["base"], since=feed["since"])
    stored = {i["graph"] for i in data["items"] if i["change"] == "stored"}
    deleted = {i["graph"] for i in data["items"] if i["change"] == "deleted"}
    assert stored == set(feed["new"])
    assert not stored & set(feed["old"])
    assert deleted == {feed["deleted"]}
    (gone,) = [i for i in data["items"] if i["change"] == "deleted"]
    assert gone["topic"] and not gone.get("checksum")  # the tombstone's topic, no checksum
    assert all(i["topic"] for i in data["items"])
    item = next(i for i in data["items"] if i["change"] == "stored")
    assert item["source"] == "beta" and item["checksum"] and item["topic"]
    record = httpx.get(f"{feed['base']}{item['document']}")
    assert record.status_code == 200 and record.json()["graph"] == item["graph"]
    # everything since long ago: the old documents too; one source only
    everything = _changes(feed["base"], since="2000-01-01")
    assert {i["graph"] for i in everything["items"]} >= set(feed["old"])
    alpha = _changes(feed["base"], since="2000-01-01", source="alpha")
    assert {i["source"] for i in alpha["items"]} == {"alpha"}


def test_changes_page_by_keyset_without_gaps_or_repeats(feed: dict[str, Any]) -> None:
    whole = _changes(feed["base"], since="2000-01-01")["items"]
    assert len(whole) == 6  # five stored, one deleted
    seen: list[dict[str, Any]] = []
    page = _changes(feed["base"], since="2000-01-01", limit=2)
    while True:
        assert len(page["items"]) <= 2
        seen += page["items"]
        if page["next"] is None:
            break
        answer = httpx.get(f"{feed['base']}{page['next']}")
        assert answer.status_code == 200
        page = answer.json()
    assert seen == whole
    times = [i["modified"] for i in seen]
    assert times == sorted(times)


def test_bad_since_or_cursor_is_a_problem(feed: dict[str, Any]) -> None:
    for params in ({"since": "yesterday"}, {"since": "2000-01-01", "cursor": "bm90LWEtY3Vyc29y"}):
        answer = httpx.get(f"{feed['base']}/api/changes", params=params)
        assert answer.status_code == 400
        assert answer.headers["content-type"].startswith("application/problem+json")


def test_source_export_is_the_sources_documents_as_nquads(feed: dict[str, Any]) -> None:
    answer = httpx.get(f"{feed['base']}/api/sources/beta/export")
    assert answer.status_code == 200
    quads = list(ox.parse(answer.content, format=ox.RdfFormat.N_QUADS))
    assert {q.graph_name.value for q in quads} == set(feed["new"])  # type: ignore[union-attr]
    assert httpx.get(f"{feed['base']}/api/sources/nobody/export").status_code == 404
