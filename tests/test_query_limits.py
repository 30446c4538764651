"""A public endpoint survives a careless query: a runaway cartesian product is stopped at the
time limit while small queries keep answering, and the server does not grow without bound.
The same on the 100k demo graph (slow): there a cartesian product also eats memory fast, so
the workers' memory cap is shown too."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from big_graph import BigGraph
from live_server import running_server
from mcgraph.cli import main
from mcgraph.store import EmbeddedStore
from mcgraph.store.results import ResultTooLargeError, write_solutions
from mcgraph.store.workers import QueryAnswer, QueryExecutor, QueryJob, QueryTimeoutError
from mcgraph.synthetic import write_dataset

TIMEOUT = 3.0
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"
SMALL = "ASK { ?s a <http://data.europa.eu/snb/model/elm/EuropeanDigitalCredential> }"


def _rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(
                next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
            )
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("limits")
    write_dataset(root / "data", count=2000, seed=21, fmt="nquads")
    assert main(["--store", str(root / "store"), "load", "--quiet", str(root / "data")]) == 0
    with running_server(root / "store", args=("--query-timeout", str(TIMEOUT))) as base:
        yield base


def _pid_of(base: str) -> int:
    port = base.rsplit(":", 1)[1]
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"serve" in cmdline and port.encode() in cmdline:
                return int(proc.name)
    raise AssertionError("server process not found")


def _runaway_beside_small_queries(
    base: str, runaway_query: str, timeout: float
) -> tuple[httpx.Response, float, list[float]]:
    """Send a runaway query and, while it runs, small queries one after another: (the
    runaway's response, seconds it took, the small queries' latencies)."""
    with (
        httpx.Client(base_url=base, timeout=120) as client,
        concurrent.futures.ThreadPoolExecutor(2) as pool,
    ):
        start = time.monotonic()
        runaway = pool.submit(client.get, "/sparql", params={"query": runaway_query})
        latencies = []
        while not runaway.done() and time.monotonic() - start < timeout * 4:
            t = time.monotonic()
            answer = client.get(
                "/sparql",
                params={"query": SMALL},
                headers={"Accept": "application/sparql-results+json"},
            )
            latencies.append(time.monotonic() - t)
            assert answer.status_code == 200 and answer.json()["boolean"] is True
            time.sleep(0.1)
        return runaway.result(), time.monotonic() - start, latencies


def test_runaway_query_is_stopped_while_small_queries_answer(server: str) -> None:
    response, elapsed, latencies = _runaway_beside_small_queries(server, RUNAWAY, TIMEOUT)
    assert response.status_code == 503
    assert TIMEOUT <= elapsed < TIMEOUT + 10
    assert len(latencies) >= 5 and max(latencies) < TIMEOUT  # answered during the runaway
    # and after it
    assert httpx.get(f"{server}/sparql", params={"query": SMALL}, timeout=30).status_code == 200


def test_repeated_runaways_do_not_grow_the_server(server: str) -> None:
    pid = _pid_of(server)
    with httpx.Client(base_url=server, timeout=60) as client:
        client.get("/sparql", params={"query": RUNAWAY})
        baseline = _rss_kib(pid)
        for _ in range(3):
            assert client.get("/sparql", params={"query": RUNAWAY}).status_code == 503
        time.sleep(1.0)  # replacement workers finish starting
        after = _rss_kib(pid)
        assert client.get("/sparql", params={"query": SMALL}).status_code == 200
    assert after < baseline + 300 * 1024, (baseline, after)  # killed workers' memory is returned


def test_result_row_cap(server: str) -> None:
    response = httpx.get(
        f"{server}/sparql",
        params={"query": "SELECT * WHERE { ?s ?p ?o }"},
        timeout=60,
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 400
    assert "LIMIT" in response.text


# -- the row cap, counted on the writers' output ------------------------------------------------

#: literals that imitate each format's row marks: JSON's },{"name, XML's <result>, a CSV line
#: end inside quotes, TSV's tab and newline (escaped there), long enough to straddle chunks
TRICKY = ['a},{"x":{"type":"uri"},{"b', "<result><result>", 'q"",\r\n"z', "t\tn\nr\r", "x" * 9000]
FORMATS = ("json", "xml", "csv", "tsv")


@pytest.fixture(scope="module")
def tricky_store() -> ox.Store:
    store = ox.Store()
    p = ox.NamedNode("http://example.org/p")
    for index in range(300):
        subject = ox.NamedNode(f"http://example.org/s{index}")
        store.add(ox.Quad(subject, p, ox.Literal(TRICKY[index % len(TRICKY)] + str(index))))
    return store


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("query", "rows"),
    [
        ("SELECT ?s ?o WHERE { ?s ?p ?o }", 300),
        ("SELECT ?o ?none WHERE { ?s ?p ?o } LIMIT 7", 7),
        # rows without any binding, which the JSON marks cannot see, among rows with some
        ("SELECT ?none WHERE { ?s ?p ?o }", 300),
        ("SELECT ?o WHERE { { ?s ?p ?o } UNION { ?s ?p ?x } }", 600),
        ("SELECT * WHERE { }", 1),
        ("SELECT ?s WHERE { ?s ?p 1 }", 0),
    ],
)
def test_rows_are_counted_exactly_in_every_format(
    tricky_store: ox.Store, fmt: str, query: str, rows: int
) -> None:
    body, counted = write_solutions(tricky_store.query(query), fmt, max_rows=rows, max_bytes=2**30)
    assert counted == rows
    assert body == tricky_store.query(query).serialize(format=_FORMAT[fmt])  # written whole
    if rows:
        with pytest.raises(ResultTooLargeError, match="LIMIT"):
            write_solutions(tricky_store.query(query), fmt, max_rows=rows - 1, max_bytes=2**30)


def test_a_result_past_the_byte_cap_is_refused(tricky_store: ox.Store) -> None:
    with pytest.raises(ResultTooLargeError, match="MB"):
        write_solutions(
            tricky_store.query("SELECT * WHERE { ?s ?p ?o }"),
            "json",
            max_rows=1000,
            max_bytes=2**20 // 2,
        )


_FORMAT = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


def test_the_event_loop_and_threads_share_the_workers(tmp_path: Path) -> None:
    """Queries from the event loop (the /sparql route) and from threads (the REST routes) queue
    for the same two workers, every answer reaches its own caller, and a timeout in one path
    leaves the pool whole for both."""
    public = EmbeddedStore(tmp_path / "public")
    for index in range(50):
        public.load(
            f'<http://example.org/s{index}> <http://example.org/n> "{index}" .'.encode(),
            rdf_format="ntriples",
            graph=f"http://example.org/g{index}",
        )
    executor = QueryExecutor(public, tmp_path / "checkpoints", workers=2, timeout=2.0)
    which = "SELECT ?n WHERE {{ <http://example.org/s{}> <http://example.org/n> ?n }}"
    # 50^5 combinations: minutes of counting in constant memory
    runaway = (
        "SELECT (COUNT(*) AS ?n) WHERE { "
        + " . ".join(f"?a{i} ?p{i} ?b{i}" for i in range(5))
        + " }"
    )

    def number(answer: QueryAnswer) -> int:
        return int(json.loads(answer.body)["results"]["bindings"][0]["n"]["value"])

    async def from_the_loop() -> list[int]:
        answers = await asyncio.gather(
            *(executor.answer(QueryJob(which.format(i))) for i in range(0, 50, 2))
        )
        return [number(a) for a in answers]

    try:
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            threaded = pool.map(
                lambda i: number(executor.run(QueryJob(which.format(i)))), range(1, 50, 2)
            )
            assert asyncio.run(from_the_loop()) == list(range(0, 50, 2))
            assert list(threaded) == list(range(1, 50, 2))
        with pytest.raises(QueryTimeoutError):
            asyncio.run(executor.answer(QueryJob(runaway)))
        with pytest.raises(QueryTimeoutError):
            executor.run(QueryJob(runaway))
        assert executor.stopped == 2
        assert number(executor.run(QueryJob(which.format(7)))) == 7
        assert number(asyncio.run(executor.answer(QueryJob(which.format(8))))) == 8
    finally:
        executor.close()
        public.close()


# -- the 100k demo graph ------------------------------------------------------------------------

BIG_TIMEOUT = 5.0
#: holds a growing set of pairs: over 100k credentials (13M triples) it meets the memory cap
#: (4 GB a worker) in about ten seconds
MEMORY_RUNAWAY = "SELECT DISTINCT ?a ?b ?c ?d WHERE { ?a ?p ?b . ?c ?q ?d }"
RECORDS = "SELECT (COUNT(*) AS ?n) WHERE { ?record a <http://www.w3.org/ns/dcat#CatalogRecord> }"


class _PeakRss:
    """The largest resident memory of a server and its workers, sampled while in use."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, _rss_kib(self.pid))

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _count_records(base: str) -> int:
    answer = httpx.get(
        f"{base}/sparql",
        params={"query": RECORDS},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


@pytest.mark.slow
def test_runaway_on_the_100k_demo_graph(big_graph: BigGraph) -> None:
    """The issue's must-show on the graph it names: a cartesian product over the 100k demo
    graph is stopped at the time limit while small queries keep answering, and repeated
    runaways leave the server's memory where it was."""
    args = ("--query-timeout", str(BIG_TIMEOUT))
    with running_server(big_graph.store, token=None, args=args) as base:
        assert _count_records(base) == big_graph.count  # the 100k graph, not a small one
        pid = _pid_of(base)
        response, elapsed, latencies = _runaway_beside_small_queries(base, RUNAWAY, BIG_TIMEOUT)
        assert response.status_code == 503 and "ran longer than" in response.text
        assert BIG_TIMEOUT <= elapsed < BIG_TIMEOUT + 10
        assert len(latencies) >= 5 and max(latencies) < BIG_TIMEOUT
        time.sleep(1.0)  # the replacement worker finishes starting
        baseline = _rss_kib(pid)
        with _PeakRss(pid) as peak, httpx.Client(base_url=base, timeout=60) as client:
            for _ in range(3):
                assert client.get("/sparql", params={"query": RUNAWAY}).status_code == 503
                assert client.get("/sparql", params={"query": SMALL}).status_code == 200
            time.sleep(1.0)
            after = _rss_kib(pid)
    # each runaway held a worker's growing join for 5 s (about 1.5 GB), then gave it back
    assert peak.peak > baseline + 300 * 1024, (baseline, peak.peak)
    assert after < baseline + 300 * 1024, (baseline, after)


@pytest.mark.slow
def test_memory_cap_on_the_100k_demo_graph(big_graph: BigGraph) -> None:
    """With a time limit too long to help, a query that hoards memory meets the worker's cap
    (4 GB): the worker dies alone, the query gets a 503, and the server answers on."""
    with running_server(big_graph.store, token=None, args=("--query-timeout", "60")) as base:
        pid = _pid_of(base)
        assert _count_records(base) == big_graph.count
        baseline = _rss_kib(pid)
        start = time.monotonic()
        with _PeakRss(pid) as peak:
            response = httpx.get(f"{base}/sparql", params={"query": MEMORY_RUNAWAY}, timeout=120)
        elapsed = time.monotonic() - start
        assert response.status_code == 503 and "out of memory" in response.text
        assert elapsed < 60  # stopped by the cap, not by the time limit
        assert baseline + 1024**2 < peak.peak < baseline + 5 * 1024**2, (baseline, peak.peak)
        assert _count_records(base) == big_graph.count
        time.sleep(1.0)
        assert _rss_kib(pid) < baseline + 300 * 1024
