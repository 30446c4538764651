"""Benchmark: validated ingestion (`mcgraph load`) beside a raw Oxigraph bulk load of the same
data, measured in the same run.

    python bench/ingest.py [--sizes 10000,100000] [--repeats 3] [--work DIR]
                           [--kinds raw,nquads,jsonld] [--batch-size N] [--profile]

For each size N, N generated credentials (seed 7, none defective) are written once per format
(one N-Quads file; a directory of one JSON-LD file per credential) and reused by later runs
when the manifest matches. Then, each in a fresh store directory and in its own child process
(so its peak RSS is its own):

- raw: ``pyoxigraph.Store.bulk_load`` of the N-Quads file, no validation (the baseline);
- nquads: ``mcgraph load`` of the same file (read, detect profile, validate Annex I, split
  personal data, commit with metadata records);
- jsonld: ``mcgraph load`` of the JSON-LD directory.

Printed: medians over ``--repeats`` of wall time, credentials/s and triples/s (input triples:
the N-Quads file's lines, the same for every run), the validated N-Quads throughput as a share
of the raw one (target >= 35 %), the peak RSS of each run (largest over repeats; flat across N
means memory does not grow with the input) and what was stored or rejected. Machines here are
shared and noisy: compare the ratios, not the absolute numbers. ``--profile`` also prints a
cProfile of one ``Service.load`` of the smallest N-Quads set.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from mcgraph.ingest_writer import DEFAULT_BATCH_SIZE

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEED = 7
KINDS = ("raw", "nquads", "jsonld")
LABELS = {
    "raw": "raw bulk_load of N-Quads (baseline)",
    "nquads": "mcgraph load, N-Quads file",
    "jsonld": "mcgraph load, JSON-LD files",
}
TARGET = 0.35

#: Runs in the child process: one load, then one JSON line with its own figures.
CHILD = r"""
import contextlib, io, json, resource, sys, time
from pathlib import Path
kind, store, data, contexts, batch = sys.argv[1:6]
result = {}
start = time.perf_counter()
if kind == "raw":
    from mcgraph.store import EmbeddedStore
    target = EmbeddedStore(Path(store))
    target.bulk_load(Path(data), rdf_format="nquads")
    target.flush()
    target.close()
    result["stored"], result["rejected"] = None, None
else:
    from mcgraph.cli import main
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["--contexts", contexts, "--store", store, "load", "--quiet",
                       "--batch-size", batch, data])
    line = next(li for li in out.getvalue().splitlines() if li.startswith("stored "))
    counts = {" ".join(p.split(" ")[:-1]): int(p.split(" ")[-1]) for p in line.split(", ")}
    result["stored"] = counts["stored"]
    result["rejected"] = counts["rejected"] + counts["unreadable"]
    result["status"] = status
result["seconds"] = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_SELF)
result["cpu"] = usage.ru_utime + usage.ru_stime
result["rss_kb"] = usage.ru_maxrss
print(json.dumps(result))
"""


@dataclass
class Run:
    seconds: float
    cpu: float  # user + system seconds, every thread of the child
    rss_kb: int
    stored: int | None
    rejected: int | None
    store_bytes: int


def dataset(work: Path, count: int, fmt: str) -> Path:
    """The generated set of ``count`` credentials in ``fmt``, written unless already there."""
    from mcgraph.synthetic import write_dataset

    out = work / f"{count}-{fmt}"
    manifest = out / "_manifest.json"
    wanted = {"seed": SEED, "count": count, "defective": 0.0, "format": fmt}
    if manifest.exists():
        try:
            written = json.loads(manifest.read_text(encoding="utf-8"))
        except ValueError:  # an interrupted generation
            written = {}
        if {k: written.get(k) for k in wanted} == wanted and "summary" in written:
            return out
    start = time.perf_counter()
    write_dataset(out, count=count, seed=SEED, defective=0.0, fmt=fmt)
    print(
        f"  generated {count:,} credentials as {fmt} in {out} "
        f"({time.perf_counter() - start:.0f} s)",
        flush=True,
    )
    return out


def tree_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def measure(kind: str, data: Path, work: Path, contexts: Path, batch: int) -> Run:
    """One load in a fresh store directory, in a child process; the store is removed after."""
    store = Path(tempfile.mkdtemp(prefix=f"store-{kind}-", dir=work))
    target = store / "public" if kind == "raw" else store
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, kind, str(target), str(data), str(contexts), str(batch)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 or not done.stdout.strip():
            raise SystemExit(f"{kind} run failed ({done.returncode}):\n{done.stderr[-3000:]}")
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        return Run(
            figures["seconds"],
            figures["cpu"],
            figures["rss_kb"],
            figures["stored"],
            figures["rejected"],
            tree_bytes(store),
        )
    finally:
        shutil.rmtree(store, ignore_errors=True)


def bench_size(count: int, args: argparse.Namespace) -> dict[str, list[Run]]:
    nquads = dataset(args.work, count, "nquads")
    jsonld = dataset(args.work, count, "jsonld") if "jsonld" in args.kinds else nquads
    nq_file = nquads / "credentials.nq"
    with nq_file.open("rb") as lines:
        triples = sum(1 for _ in lines)
    size_mb = nq_file.stat().st_size / 1e6
    print(
        f"\nN = {count:,} credentials: {triples:,} triples, N-Quads {size_mb:,.0f} MB; "
        f"runs {', '.join(args.kinds)}, {args.repeats} of each, batch size {args.batch_size}"
    )
    inputs = {"raw": nq_file, "nquads": nq_file, "jsonld": jsonld}
    runs: dict[str, list[Run]] = {kind: [] for kind in args.kinds}
    for repeat in range(args.repeats):  # interleaved, so that noise spreads over every kind
        for kind in args.kinds:
            run = measure(kind, inputs[kind], args.work, args.contexts, args.batch_size)
            runs[kind].append(run)
            print(
                f"    run {repeat + 1} {kind:<7} {run.seconds:8.1f} s wall {run.cpu:8.1f} s CPU "
                f"{run.rss_kb / 1024:7.0f} MB peak",
                flush=True,
            )
    report(count, triples, runs, args.kinds)
    return runs


def paired_share(runs: dict[str, list[Run]], kind: str, measure: str) -> float | None:
    """Median over repeats of raw / ``kind`` (wall or CPU seconds), each repeat's runs paired:
    they ran back to back, so they saw much the same load on the machine."""
    if "raw" not in runs:
        return None
    pairs = zip(runs["raw"], runs[kind], strict=True)
    return statistics.median(getattr(r, measure) / getattr(k, measure) for r, k in pairs)


def report(count: int, triples: int, runs: dict[str, list[Run]], kinds: list[str]) -> None:
    print(
        f"  {'':<36} {'wall s':>7} {'cred/s':>7} {'triples/s':>9} {'vs raw':>7}"
        f" {'CPU s':>7} {'vs raw':>7} {'peak RSS':>9} {'store':>8}  stored/rejected"
    )
    for kind in kinds:
        wall = statistics.median(r.seconds for r in runs[kind])
        cpu = statistics.median(r.cpu for r in runs[kind])
        peak = max(r.rss_kb for r in runs[kind]) / 1024
        store = statistics.median(r.store_bytes for r in runs[kind]) / 1e6
        last = runs[kind][-1]
        outcome = "-" if last.stored is None else f"{last.stored}/{last.rejected}"
        shares = [paired_share(runs, kind, m) for m in ("seconds", "cpu")]
        wall_share, cpu_share = (
            "base" if kind == "raw" else "-" if x is None else f"{x:.1%}" for x in shares
        )
        print(
            f"  {LABELS[kind]:<36} {wall:7.1f} {count / wall:7.0f} {triples / wall:9.0f}"
            f" {wall_share:>7} {cpu:7.1f} {cpu_share:>7} {peak:6.0f} MB {store:5.0f} MB  {outcome}"
        )
    share = paired_share(runs, "nquads", "seconds") if "nquads" in runs else None
    if share is not None:
        verdict = "meets" if share >= TARGET else "MISSES"
        print(
            f"  -> validated N-Quads ingestion at {share:.1%} of raw bulk-load throughput "
            f"(median of paired runs): {verdict} the {TARGET:.0%} target"
        )


def profile(count: int, args: argparse.Namespace) -> None:
    """cProfile of one Service.load of the N-Quads set (what to speed up first)."""
    import cProfile
    import pstats

    from mcgraph.service import Service
    from mcgraph.settings import Settings

    data = dataset(args.work, count, "nquads") / "credentials.nq"
    store = Path(tempfile.mkdtemp(prefix="store-profile-", dir=args.work))
    try:
        service = Service(Settings(store=store, contexts=(args.contexts,)))
        _ = service.validator  # shapes parsed outside the profile, as in a warm process
        profiler = cProfile.Profile()
        profiler.runcall(service.load, [data], batch_size=args.batch_size)
        service.close()
    finally:
        shutil.rmtree(store, ignore_errors=True)
    print(f"\nProfile of one Service.load of {count:,} credentials (N-Quads):")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000", help="comma-separated credential counts")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "mcgraph-bench")
    parser.add_argument("--contexts", type=Path, default=SHARED / "contexts")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        help=f"documents per batch, as `mcgraph load --batch-size` (default {DEFAULT_BATCH_SIZE})",
    )
    parser.add_argument("--kinds", default=",".join(KINDS), help="runs to make (raw,nquads,jsonld)")
    parser.add_argument("--profile", action="store_true", help="also profile one Service.load")
    args = parser.parse_args()
    args.kinds = [k for k in KINDS if k in args.kinds.split(",")]
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    args.work.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(args.work).free / 1e9
    print(f"Ingestion benchmark in {args.work} ({free:,.0f} GB free), {os.cpu_count()} CPUs")
    peaks: dict[int, dict[str, float]] = {}
    for count in sizes:
        runs = bench_size(count, args)
        peaks[count] = {k: max(r.rss_kb for r in v) / 1024 for k, v in runs.items()}
    if len(sizes) > 1:
        print("\nPeak RSS (MB) by N:  " + "  ".join(f"{k:>8}" for k in args.kinds))
        for count, peak in peaks.items():
            print(f"  {count:>17,}  " + "  ".join(f"{peak[k]:8.0f}" for k in args.kinds))
    if args.profile:
        profile(min(sizes), args)


if __name__ == "__main__":
    main()
