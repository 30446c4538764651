"""Benchmark: the named queries over HTTP, mcgraph's /sparql against `oxigraph serve` loaded
with the same data and queried the same way, in the same run.

    python bench/sparql_service.py [--count 100000] [--requests 200] [--concurrency 4] [--work DIR]

Both servers bind to loopback only. mcgraph answers through its query workers (a killable
process per query slot, over a checkpoint of the store); `oxigraph serve` answers in-process.
Printed per query: throughput (requests/s) and p50/p99 latency for each server, and mcgraph's
ratios. Targets: >= 70 % of oxigraph's throughput, p50 <= 1.5x its p50. Medians and ratios only:
the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from mcgraph.queries import named_queries

#: parameters of the named queries, bound the same way for both servers: a trailing VALUES
#: clause (oxigraph serve has no parameter binding over HTTP)
BOUND = {"credentials-at-eqf-level": "VALUES ?level { <http://data.europa.eu/snb/eqf/6> }"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = 300) -> None:
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
def server(command: list[str], url: str, env: dict[str, str] | None = None) -> Iterator[str]:
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def query_texts() -> dict[str, str]:
    """The user-facing named queries (not the API's internal api-* ones)."""
    texts = {}
    for name, query in named_queries().items():
        if name.startswith("api-"):
            continue
        texts[name] = query.text + ("\n" + BOUND[name] if name in BOUND else "")
    return texts


def hammer(url: str, text: str, requests: int, concurrency: int) -> tuple[float, float, float]:
    """(requests/s, p50 s, p99 s) for ``requests`` POSTs of one query, ``concurrency`` at a time."""
    latencies: list[float] = []
    headers = {
        "Accept": "application/sparql-results+json",
        "Content-Type": "application/sparql-query",
    }
    with httpx.Client(timeout=120) as client:
        client.post(url, content=text.encode(), headers=headers).raise_for_status()

        def one(_: int) -> float:
            start = time.perf_counter()
            response = client.post(url, content=text.encode(), headers=headers)
            response.raise_for_status()
            return time.perf_counter() - start

        start = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
            latencies = list(pool.map(one, range(requests)))
        elapsed = time.perf_counter() - start
    latencies.sort()
    return (
        requests / elapsed,
        statistics.median(latencies),
        latencies[int(len(latencies) * 0.99) - 1],
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "mcgraph-bench-sparql"
    )
    args = parser.parse_args()
    work = args.work / str(args.count)
    ours, theirs, data = work / "mcgraph-store", work / "oxigraph-store", work / "generated"
    python = sys.executable
    if not (ours / "public").is_dir():
        shutil.rmtree(work, ignore_errors=True)
        subprocess.run(
            [
                python,
                "-m",
                "mcgraph.cli",
                "generate",
                "--count",
                str(args.count),
                "--seed",
                "1",
                "--format",
                "nquads",
                "--out",
                str(data),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            [python, "-m", "mcgraph.cli", "--store", str(ours), "load", "--quiet", str(data)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        export = work / "export.nq"
        subprocess.run(
            [python, "-m", "mcgraph.cli", "--store", str(ours), "export", "--out", str(export)],
            check=True,
        )
        oxigraph = shutil.which("oxigraph") or str(Path(python).with_name("oxigraph"))
        subprocess.run(
            [oxigraph, "load", "--location", str(theirs), "--file", str(export)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(data, ignore_errors=True)
    oxigraph = shutil.which("oxigraph") or str(Path(python).with_name("oxigraph"))
    port_ours, port_theirs = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCGRAPH_")}
    texts = query_texts()
    print(
        f"{args.count} credentials; {args.requests} requests per query, "
        f"{args.concurrency} at a time"
    )
    print(
        f"{'query':<28}{'oxigraph req/s':>15}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'mcgraph req/s':>15}{'p50 ms':>9}{'p99 ms':>9}{'thr ratio':>10}{'p50 ratio':>10}"
    )
    ratios = []
    with (
        server(
            [
                oxigraph,
                "serve-read-only",
                "--location",
                str(theirs),
                "--bind",
                f"127.0.0.1:{port_theirs}",
                "--union-default-graph",
            ],
            f"http://127.0.0.1:{port_theirs}/query",
        ) as theirs_url,
        server(
            [python, "-m", "mcgraph.cli", "--store", str(ours), "serve", "--port", str(port_ours)],
            f"http://127.0.0.1:{port_ours}/sparql",
            env,
        ) as ours_url,
    ):
        for name, text in texts.items():
            t_rate, t_p50, t_p99 = hammer(theirs_url, text, args.requests, args.concurrency)
            o_rate, o_p50, o_p99 = hammer(ours_url, text, args.requests, args.concurrency)
            ratios.append((o_rate / t_rate, o_p50 / t_p50))
            print(
                f"{name:<28}{t_rate:>15.1f}{t_p50 * 1000:>9.1f}{t_p99 * 1000:>9.1f}"
                f"{o_rate:>15.1f}{o_p50 * 1000:>9.1f}{o_p99 * 1000:>9.1f}"
                f"{o_rate / t_rate:>9.0%}{o_p50 / t_p50:>9.2f}x"
            )
    throughput = statistics.median(r for r, _ in ratios)
    latency = statistics.median(p for _, p in ratios)
    print(
        f"median over queries: throughput {throughput:.0%} of oxigraph (target >= 70 %), "
        f"p50 {latency:.2f}x (target <= 1.5x)"
    )


if __name__ == "__main__":
    main()
