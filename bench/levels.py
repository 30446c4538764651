"""Benchmark: stacking-closure and crosswalk query latency at growing graph sizes.

    python bench/levels.py [--sizes 10000,100000,1000000] [--calls 200] [--work DIR] [--full]

For each size N it generates N credentials (seed 7) and bulk-loads them, each in its own named
graph, into a fresh on-disk store with the shipped frameworks installed. By default only the
statements the measured queries read are loaded (types, the credential → claim →
specification chain, EQF/NQF levels, part/whole relations, titles, credit points, volumes of
learning): a full generated credential is ~27 kB of N-Quads, so 1M full credentials would need
~27 GB of input and ~40 GB of store. ``--full`` loads whole documents (sensible up to 100k),
to show what the other statements cost.

Measured per size, in-process through the same named queries the CLI and the API run
(``Service.run_named``), with ``--calls`` calls each over a fixed random sample:

- ``stacking-closure`` of a credential whose specification stacks, and of a whole;
- ``crosswalk`` from IE NFQ level 7 (the comparable levels only);
- the full crosswalk answer: comparable levels and the first page (≤ 501) of credentials at
  the level and at each comparable level (``mcgraph levels crosswalk``, ``/api/levels/crosswalk``).

Printed: median and p90 latency per query and size, and the growth factor of the median from
one size to the next (a 10x larger graph; 1.0 = flat). Medians only: the machine is shared.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from mcgraph.levels import crosswalk
from mcgraph.service import Service
from mcgraph.settings import Settings
from mcgraph.stacking import pathways
from mcgraph.synthetic import generate

KEEP = tuple(
    f"<{iri}>"
    for iri in (
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
        "https://www.w3.org/2018/credentials#credentialSubject",
        "http://data.europa.eu/snb/model/elm/hasClaim",
        "http://data.europa.eu/snb/model/elm/specifiedBy",
        "http://data.europa.eu/snb/model/elm/EQFLevel",
        "http://data.europa.eu/snb/model/elm/NQFLevel",
        "http://data.europa.eu/snb/model/elm/isPartOf",
        "http://data.europa.eu/snb/model/elm/hasPart",
        "http://data.europa.eu/snb/model/elm/creditPoint",
        "http://data.europa.eu/snb/model/elm/point",
        "http://data.europa.eu/snb/model/elm/framework",
        "http://data.europa.eu/snb/model/elm/volumeOfLearning",
        "http://purl.org/dc/terms/title",
    )
)
IE_NFQ_7 = "ie-nfq:7"


def build(
    store: Path, count: int, *, full: bool, chunk: int = 5000
) -> tuple[Service, dict[str, list[str]]]:
    """A store of ``count`` generated credentials; returns it open, with sample IRIs."""
    service = Service(Settings(store=store))
    service.install_frameworks()
    samples: dict[str, list[str]] = {"credential": [], "whole": []}
    buffer: list[str] = []
    for credential in generate(count, seed=7):
        text = credential.to_nquads()
        if not full:
            text = "".join(
                line + "\n" for line in text.splitlines() if line.split(" ", 2)[1] in KEEP
            )
        buffer.append(text)
        if credential.part_of is not None:
            samples["credential"].append(credential.iri)
            samples["whole"].append(credential.part_of)
        if len(buffer) >= chunk:
            service.repository.public.bulk_add("".join(buffer).encode())
            buffer.clear()
    if buffer:
        service.repository.public.bulk_add("".join(buffer).encode())
    service.repository.public.optimize()  # as `mcgraph serve` does on start
    return service, samples


def timed(calls: int, action: object) -> list[float]:
    times = []
    for i in range(calls):
        start = time.perf_counter()
        action(i)  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return times


def measure(service: Service, samples: dict[str, list[str]], calls: int) -> dict[str, list[float]]:
    rng = random.Random(1)
    credentials = rng.sample(samples["credential"], min(calls, len(samples["credential"])))
    wholes = rng.sample(sorted(set(samples["whole"])), min(calls, len(set(samples["whole"]))))
    run = service.run_named
    ie7 = service.resolve_level(IE_NFQ_7)
    few = max(1, calls // 10)
    return {
        "closure of a credential": timed(
            calls, lambda i: pathways(run, credentials[i % len(credentials)])
        ),
        "closure of a whole": timed(calls, lambda i: pathways(run, wholes[i % len(wholes)])),
        "crosswalk (levels)": timed(calls, lambda i: run("crosswalk", {"level": ie7})),
        "crosswalk + credentials": timed(few, lambda i: crosswalk(run, ie7, per_level=501)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "mcgraph-bench-levels"
    )
    parser.add_argument("--full", action="store_true", help="load whole documents")
    args = parser.parse_args()
    results: dict[int, dict[str, list[float]]] = {}
    for count in (int(s) for s in args.sizes.split(",")):
        store = args.work / f"store-{count}"
        shutil.rmtree(store, ignore_errors=True)
        started = time.monotonic()
        service, samples = build(store, count, full=args.full)
        loaded = time.monotonic() - started
        try:
            measure(service, samples, 5)  # warm up: compile, page in
            results[count] = measure(service, samples, args.calls)
        finally:
            service.close()
            shutil.rmtree(store, ignore_errors=True)
        print(
            f"N={count:>9,}: built in {loaded:6.1f} s ({'full' if args.full else 'slim'})",
            flush=True,
        )
    print()
    sizes = sorted(results)
    header = f"{'query':<26}" + "".join(f"{f'{n:,}':>22}" for n in sizes)
    print(header + "   (median ms / p90 ms, then growth x)")
    for name in results[sizes[0]]:
        cells = []
        previous = None
        for n in sizes:
            times = sorted(results[n][name])
            median = statistics.median(times)
            p90 = times[int(0.9 * (len(times) - 1))]
            growth = f" x{median / previous:4.2f}" if previous else "      "
            cells.append(f"{median:8.2f} / {p90:7.2f}{growth}")
            previous = median
        print(f"{name:<26}" + "".join(f"{c:>22}" for c in cells))


if __name__ == "__main__":
    main()
