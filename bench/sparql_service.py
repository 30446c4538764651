"""Benchmark: the named queries over HTTP, mcgraph's /sparql against `oxigraph serve` loaded
with the same data and queried the same way, in the same run.

    python bench/sparql_service.py [--count 100000] [--rounds 3] [--requests 2000] [--budget 10]
                                   [--concurrency 4] [--queries a,b] [--work DIR] [--from-store DIR]

The data (``bench/sparql_data.py``): the generated credentials as ``mcgraph load`` stores them,
the shipped frameworks and one level decision; oxigraph's store is ``mcgraph export`` of it
(``oxigraph load``, then ``oxigraph optimize``, as ``mcgraph serve`` compacts its store on
start). Both are kept in ``--work`` for later runs.

Both servers bind to loopback, with their defaults, except that mcgraph's time and row limits
(30 s, 100 000 rows), which oxigraph serve does not have, are lifted so that both give every
query the same whole answer. Each query is POSTed as ``application/sparql-query`` with
``Accept: application/sparql-results+json``, the same text to both, its required parameters
substituted with values found in the data; the two answers are compared before measuring.

Per query, ``--rounds`` rounds; in each, a burst at each server in turn (order alternating):
``--requests`` requests, ``--concurrency`` at a time, stopping early after ``--budget`` seconds
(at least --concurrency requests). Printed per server: requests/s (median of the rounds),
p50/p99 latency (over all rounds), server CPU ms per request (the server's processes, workers
included: less disturbed by other jobs than wall time); then mcgraph's throughput ratio (the
median of the per-round ratios, each against the burst just before or after it) and p50 ratio.
Targets (medians over the queries): >= 70 % of oxigraph's throughput, p50 <= 1.5x its p50.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import hashlib
import itertools
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from mcgraph.queries import named_queries
from sparql_data import bound_text, build, oxigraph_cli

#: queries that transfer a whole data set rather than answer a question: run only when named
#: in --queries (their answers are not held in memory per request by a harvester either)
BULK = {
    "feed-source-quads": "a source's every quad, 13 M rows and ~3 GB of JSON per answer at "
    "100 000: a bulk export, run it with --queries feed-source-quads",
}
XSD_DURATION = "http://www.w3.org/2001/XMLSchema#duration"
HEADERS = {
    "Accept": "application/sparql-results+json",
    "Content-Type": "application/sparql-query",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited early ({url})")
        try:
            if httpx.get(url, params={"query": "ASK {}"}, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"server at {url} did not start")


@contextlib.contextmanager
def server(
    command: list[str], url: str, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for(url, process)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its descendants (from /proc)."""
    total, todo, tick = 0.0, [pid], os.sysconf("SC_CLK_TCK")
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def query_texts(
    values: dict[str, str], only: set[str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """The user-facing named queries (not the API's internal api-* ones) with their required
    parameters bound, and those skipped (a parameter with no value, or a bulk export)."""
    texts, skipped = {}, []
    for name, query in named_queries().items():
        if name.startswith("api-") or (only is not None and name not in only):
            continue
        if name in BULK and (only is None or name not in only):
            skipped.append(f"{name} ({BULK[name]})")
            continue
        text = bound_text(query, values)
        if text is None:
            skipped.append(name)
        else:
            texts[name] = text
    return texts, skipped


_DURATION = re.compile(
    r"(-?)P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?"
)


def _comparable(row: object) -> object:
    """A result row as both servers must give it: blank node labels blanked (each server labels
    them its own way) and xsd:duration values as (months, seconds) — oxigraph stores a duration
    as its value (PT174H comes back P7DT6H), mcgraph keeps the lexical form it was given."""
    if not isinstance(row, dict):
        return row
    out = {}
    for key, term in row.items():
        if isinstance(term, dict) and term.get("type") == "bnode":
            term = {"type": "bnode"}
        elif isinstance(term, dict) and term.get("datatype") == XSD_DURATION:
            match = _DURATION.fullmatch(term["value"])
            if match:
                sign, y, mo, d, h, mi, sec = match.groups()
                months = int(y or 0) * 12 + int(mo or 0)
                seconds = int(d or 0) * 86400 + int(h or 0) * 3600 + int(mi or 0) * 60
                value = (months, seconds + float(sec or 0))
                term = {**term, "value": str(value if not sign else (-value[0], -value[1]))}
        out[key] = term
    return out


@dataclass
class Side:
    """One server's measurements for one query."""

    name: str
    url: str
    pid: int
    rates: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # seconds per request, per round
    errors: int = 0

    def warm_up(self, client: httpx.Client, text: str, concurrency: int) -> tuple[int, str]:
        """Fill caches, start every worker and connection; the answer's rows and fingerprint
        (the hash of its sorted rows, blank node labels aside: both servers must give the same
        answer)."""
        with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
            responses = list(
                pool.map(
                    lambda _: client.post(self.url, content=text.encode(), headers=HEADERS),
                    range(concurrency),
                )
            )
        if responses[0].status_code != 200:
            raise SystemExit(f"{self.name}: {responses[0].status_code} {responses[0].text[:300]}")
        answer = responses[0].json()
        rows = answer["results"]["bindings"] if "results" in answer else [answer.get("boolean")]
        canonical = sorted(json.dumps(_comparable(row), sort_keys=True) for row in rows)
        return len(rows), hashlib.sha256("\n".join(canonical).encode()).hexdigest()

    def burst(self, client: httpx.Client, text: str, args: argparse.Namespace) -> float:
        """One round: requests until ``--requests`` or ``--budget``; returns requests/s."""
        start, lock, issued = time.perf_counter(), threading.Lock(), itertools.count()
        minimum = args.concurrency

        def worker() -> list[float]:
            mine: list[float] = []
            while True:
                with lock:
                    index = next(issued)
                late = time.perf_counter() - start > args.budget and index >= minimum
                if index >= args.requests or late:
                    return mine
                began = time.perf_counter()
                response = client.post(self.url, content=text.encode(), headers=HEADERS)
                if response.status_code != 200:
                    self.errors += 1
                mine.append(time.perf_counter() - began)

        cpu_before = cpu_seconds(self.pid)
        with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
            done = [f.result() for f in [pool.submit(worker) for _ in range(args.concurrency)]]
        elapsed = time.perf_counter() - start
        latencies = [x for part in done for x in part]
        self.latencies += latencies
        self.cpu.append((cpu_seconds(self.pid) - cpu_before) / len(latencies))
        self.rates.append(len(latencies) / elapsed)
        return self.rates[-1]

    def p(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=2000, help="per burst, at most")
    parser.add_argument("--budget", type=float, default=10.0, help="seconds per burst, about")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--queries", help="comma-separated query names (default: all)")
    parser.add_argument(
        "--from-store",
        type=Path,
        metavar="DIR",
        help="copy this mcgraph store (mcgraph backup) instead of generating and loading, e.g. "
        "the test suite's big graph (MCGRAPH_TEST_BIG_GRAPH/store): it must hold --count "
        "credentials generated with seed 1",
    )
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "mcgraph-bench-sparql"
    )
    args = parser.parse_args()
    work = args.work / str(args.count)
    print(f"{args.count} credentials in {work}", flush=True)
    ours, theirs, values = build(args.count, work, args.from_store)
    # mcgraph serve compacts its store on start; give oxigraph's the same (a no-op once done)
    start = time.perf_counter()
    subprocess.run(
        [oxigraph_cli(), "optimize", "--location", str(theirs)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    print(f"  oxigraph optimize: {time.perf_counter() - start:.0f} s", flush=True)
    texts, skipped = query_texts(values, set(args.queries.split(",")) if args.queries else None)
    port_ours, port_theirs = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCGRAPH_")}
    # oxigraph serve has no time or row limit: lift mcgraph's (30 s, 100 000 rows) out of the
    # way, so that both give every query the same whole answer
    env["MCGRAPH_MAX_RESULT_ROWS"] = str(10**8)
    oxigraph = [oxigraph_cli(), "serve-read-only", "--location", str(theirs)]
    oxigraph += ["--bind", f"127.0.0.1:{port_theirs}", "--union-default-graph"]
    mcgraph = [sys.executable, "-m", "mcgraph.cli", "--store", str(ours), "serve"]
    mcgraph += ["--port", str(port_ours), "--query-timeout", "3600"]
    print("  parameters: " + ", ".join(f"{k}={v}" for k, v in sorted(values.items())))
    print(
        f"{args.rounds} rounds per query, each <= {args.requests} requests or ~{args.budget:g} s "
        f"per server, {args.concurrency} at a time; skipped: {', '.join(skipped) or 'none'}"
    )
    print(
        f"{'query':<26}{'oxigraph':>10}{'p50':>8}{'p99':>8}{'cpu':>7}"
        f"{'mcgraph':>10}{'p50':>8}{'p99':>8}{'cpu':>7}{'thr':>7}{'p50':>7}{'n':>5}{'rows':>8}"
    )
    print(
        f"{'':<26}{'req/s':>10}{'ms':>8}{'ms':>8}{'ms':>7}{'req/s':>10}{'ms':>8}{'ms':>8}{'ms':>7}"
    )
    results = []
    url_theirs = f"http://127.0.0.1:{port_theirs}/query"
    url_ours = f"http://127.0.0.1:{port_ours}/sparql"
    with (
        server(oxigraph, url_theirs) as theirs_process,
        server(mcgraph, url_ours, env) as ours_process,
        httpx.Client(timeout=600, limits=httpx.Limits(max_connections=16)) as client,
    ):
        for name, text in texts.items():
            sides = (
                Side("oxigraph", url_theirs, theirs_process.pid),
                Side("mcgraph", url_ours, ours_process.pid),
            )
            answers = [side.warm_up(client, text, args.concurrency) for side in sides]
            if answers[0] != answers[1]:
                raise SystemExit(f"{name}: the answers differ (rows, hash): {answers}")
            paired = []
            for round_ in range(args.rounds):
                order = sides if round_ % 2 == 0 else sides[::-1]
                rates = {side.name: side.burst(client, text, args) for side in order}
                paired.append(rates["mcgraph"] / rates["oxigraph"])
            t, o = sides
            throughput, latency = statistics.median(paired), o.p(0.5) / t.p(0.5)
            results.append((throughput, latency))
            errors = f"  errors: oxigraph {t.errors}, mcgraph {o.errors}"
            print(
                f"{name:<26}"
                + "".join(
                    f"{statistics.median(s.rates):>10.1f}{s.p(0.5) * 1e3:>8.1f}"
                    f"{s.p(0.99) * 1e3:>8.1f}{statistics.median(s.cpu) * 1e3:>7.1f}"
                    for s in sides
                )
                + f"{throughput:>7.0%}{latency:>6.2f}x{len(o.latencies):>5}{answers[0][0]:>8}"
                + (errors if t.errors or o.errors else ""),
                flush=True,
            )
    throughput = statistics.median(r for r, _ in results)
    latency = statistics.median(p for _, p in results)
    print(
        f"median over {len(results)} queries: throughput {throughput:.0%} of oxigraph "
        f"(target >= 70 %), p50 {latency:.2f}x (target <= 1.5x)"
    )


if __name__ == "__main__":
    main()
