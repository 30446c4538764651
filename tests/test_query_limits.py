"""A public endpoint survives a careless query: a runaway cartesian product is stopped at the
time limit while small queries keep answering, and the server does not grow without bound."""

from __future__ import annotations

import concurrent.futures
import time
from pathlib import Path

import httpx
import pytest

from live_server import running_server
from mcgraph.cli import main
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


def test_runaway_query_is_stopped_while_small_queries_answer(server: str) -> None:
    with (
        httpx.Client(base_url=server, timeout=60) as client,
        concurrent.futures.ThreadPoolExecutor(2) as pool,
    ):
        start = time.monotonic()
        runaway = pool.submit(client.get, "/sparql", params={"query": RUNAWAY})
        latencies = []
        while not runaway.done() and time.monotonic() - start < TIMEOUT * 4:
            t = time.monotonic()
            answer = client.get(
                "/sparql",
                params={"query": SMALL},
                headers={"Accept": "application/sparql-results+json"},
            )
            latencies.append(time.monotonic() - t)
            assert answer.status_code == 200 and answer.json()["boolean"] is True
            time.sleep(0.1)
        response = runaway.result()
        elapsed = time.monotonic() - start
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
