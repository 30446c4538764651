"""Benchmark: reading a CSV catalogue into ELM specifications (rows per second).

    python bench/csv_catalogue.py [--rows 30000] [--runs 3]

Writes a catalogue of ``--rows`` rows in a temporary directory, cycling through the rows of
``tests/data/catalogue-good.csv`` (each with a fresh identifier), then times
``read_csv_catalogue`` over the whole file and prints the median of ``--runs`` runs. Target from
the issue: at least 10 000 rows/s. The mapping is read before timing (it is read once per
process).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import tempfile
import time
from pathlib import Path

from mcgraph.documents import RdfDocument
from mcgraph.loaders.csv_catalogue import load_mapping, read_csv_catalogue

REPO = Path(__file__).resolve().parents[1]
GOOD = REPO / "tests" / "data" / "catalogue-good.csv"
TARGET = 10_000


def write_catalogue(path: Path, rows: int) -> Path:
    """``rows`` rows shaped like the good fixture's, each with its own identifier."""
    with open(GOOD, encoding="utf-8-sig", newline="") as handle:
        header, *samples = list(csv.reader(handle, delimiter=";"))
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(header)
        for n in range(rows):
            row = list(samples[n % len(samples)])
            row[0] = f"{row[0]}-{n}"
            writer.writerow(row)
    return path


def one_run(path: Path, rows: int) -> float:
    """Seconds to read every row of ``path`` (all of them must become documents)."""
    start = time.perf_counter()
    count = sum(1 for item in read_csv_catalogue(path) if isinstance(item, RdfDocument))
    elapsed = time.perf_counter() - start
    if count != rows:
        raise SystemExit(f"expected {rows} documents, got {count}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=30_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    load_mapping()
    with tempfile.TemporaryDirectory(prefix="mcgraph-bench-csv-") as work:
        path = write_catalogue(Path(work) / "catalogue.csv", args.rows)
        size = path.stat().st_size / 1e6
        times = [one_run(path, args.rows) for _ in range(args.runs)]
    rate = args.rows / statistics.median(times)
    runs = ", ".join(f"{args.rows / t:,.0f}" for t in times)
    print(f"CSV catalogue: {args.rows:,} rows ({size:.1f} MB), {args.runs} runs")
    print(f"  median {rate:,.0f} rows/s (target >= {TARGET:,}); runs: {runs} rows/s")


if __name__ == "__main__":
    main()
