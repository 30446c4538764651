"""Benchmark: harvesting another mcgraph instance (loopback), first run and incremental run,
beside a local `mcgraph load` of the same documents measured in the same run.

    python bench/harvest.py [--count 10000] [--repeats 3] [--work DIR]

N generated credentials (seed 7, none defective, one JSON-LD file each) are loaded once into
an upstream store, which `mcgraph serve` then serves on a loopback port. Each repeat, in a fresh
local store and in this process:

- load: `Service.load` of the JSON-LD files (the baseline: validated ingestion, no network);
- first: `harvest_source` of the upstream (list through /sparql, fetch every document as Turtle
  from /api/documents, validate, store, write the harvest state);
- incremental: the same again, nothing changed upstream (listing only, no document transferred).

Printed: medians over the repeats of wall seconds and documents/s (N / wall), the first
harvest's time as a multiple of the local load's (paired per repeat), the incremental run's
share of the first, and requests and bytes transferred. Shared, noisy machine: read the ratios.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from live_server import running_server  # noqa: E402
from mcgraph.harvest.harvester import harvest_source  # noqa: E402
from mcgraph.harvest.sources import Source  # noqa: E402
from mcgraph.service import Service  # noqa: E402
from mcgraph.settings import load_settings  # noqa: E402
from mcgraph.synthetic import write_dataset  # noqa: E402

SHARED = REPO.parent / "shared"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", type=Path, help="working directory (default: a temporary one)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="mcgraph-bench-harvest-"))
    work.mkdir(parents=True, exist_ok=True)
    settings = load_settings().replace(contexts=(SHARED / "contexts",))
    data = work / "jsonld"
    if not (data / "_manifest.json").exists():
        write_dataset(data, count=args.count, seed=7, fmt="jsonld")
    upstream = work / "upstream"
    if not upstream.exists():
        service = Service(settings.replace(store=upstream))
        summary = service.load([data])
        service.close()
        print(f"upstream: stored {summary.stored}, rejected {summary.rejected}")
    figures: dict[str, list[float]] = {"load": [], "first": [], "incremental": []}
    paired: list[float] = []
    extra = {"MCGRAPH_CONTEXTS": str(SHARED / "contexts")}
    with running_server(upstream, extra_env=extra) as base:
        source = Source("peer", "mcgraph", base, allow_private=True)
        for repeat in range(args.repeats):
            for name in ("baseline", "local"):
                shutil.rmtree(work / name, ignore_errors=True)
            baseline = Service(settings.replace(store=work / "baseline"))
            start = time.perf_counter()
            loaded = baseline.load([data])
            figures["load"].append(time.perf_counter() - start)
            baseline.close()
            local = Service(settings.replace(store=work / "local"))
            try:
                first = harvest_source(local, source)
                again = harvest_source(local, source)
            finally:
                local.close()
            assert first.stored == loaded.stored == args.count, (first, loaded)
            assert again.transferred == 0 and again.unchanged == args.count, again
            figures["first"].append(first.seconds)
            figures["incremental"].append(again.seconds)
            paired.append(first.seconds / figures["load"][-1])
            print(
                f"repeat {repeat + 1}: load {figures['load'][-1]:.1f} s, first {first.seconds:.1f}"
                f" s ({first.bytes / 1e6:.0f} MB), incremental {again.seconds:.2f} s "
                f"({again.bytes / 1e3:.0f} kB)"
            )
    print(f"\n{args.count} documents, medians of {args.repeats} repeats")
    print(f"{'run':<34}{'wall s':>9}{'docs/s':>10}")
    labels = {
        "load": "local mcgraph load (baseline)",
        "first": "harvest, first run",
        "incremental": "harvest, incremental (unchanged)",
    }
    for key, label in labels.items():
        wall = statistics.median(figures[key])
        print(f"{label:<34}{wall:>9.2f}{args.count / wall:>10.0f}")
    ratio = statistics.median(paired)
    share = statistics.median(
        i / f for i, f in zip(figures["incremental"], figures["first"], strict=True)
    )
    print(f"first harvest / local load (paired): {ratio:.2f}x the time")
    print(f"incremental / first: {share:.1%} of the time")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
