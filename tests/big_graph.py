"""The 100k demo graph, built once per test session for the tests that need a big graph.

It is what ``mcgraph serve --demo --demo-count 100000`` serves: ``mcgraph generate`` (seed 1,
N-Quads, no defects) loaded by ``mcgraph load --source generated`` (validated ingestion, in
batches of 2 000 documents: the fastest the product loads), then compacted as ``mcgraph serve``
does on start, so that servers over it start at once. Each step runs the product's command in
a child process (its memory goes with it) and is timed.

Use the ``big_graph`` fixture (session scope, registered by ``conftest.py``) and mark the test
``@pytest.mark.slow``. Treat the store as read-only: every test of the session shares it.
The store and the dataset are deleted when the session ends; with ``MCGRAPH_TEST_BIG_GRAPH=DIR``
they are built in DIR once and reused by later sessions (delete DIR when generation or
ingestion changes).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mcgraph.store import EmbeddedStore

BIG_COUNT = 100_000
BIG_SEED = 1  # the seed of mcgraph serve --demo
BATCH_SIZE = 2000
REUSE_ENV = "MCGRAPH_TEST_BIG_GRAPH"
_BUILT: list[str] = []  # what the session built, for the terminal summary


@dataclass(frozen=True)
class BigGraph:
    """A loaded store of ``count`` generated credentials and the dataset it was loaded from."""

    count: int
    seed: int
    #: the store directory (``mcgraph --store``): public store, learner salt
    store: Path
    #: the generated dataset: ``credentials.nq`` (one named graph per credential) and
    #: ``_manifest.json`` (every credential's IRI, graph, defect)
    dataset: Path
    #: seconds each build step took in this session, wall and CPU (empty when reused)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def manifest(self) -> Path:
        return self.dataset / "_manifest.json"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(step: str, args: list[str], timings: dict[str, float]) -> None:
    start, cpu = time.perf_counter(), _children_cpu()
    env = {key: value for key, value in os.environ.items() if not key.startswith("MCGRAPH_")}
    done = subprocess.run(
        [sys.executable, "-m", "mcgraph.cli", *args], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"building the big graph: {step} failed:\n{done.stderr[-4000:]}")
    timings[step] = time.perf_counter() - start
    timings[f"{step} CPU"] = _children_cpu() - cpu


def build_big_graph(root: Path, count: int = BIG_COUNT, seed: int = BIG_SEED) -> BigGraph:
    """Generate, load and compact ``count`` credentials under ``root`` (reused when ``root``
    already holds a complete build of the same count and seed)."""
    store, dataset, marker = root / "store", root / "generated", root / "complete.json"
    wanted = {"count": count, "seed": seed}
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        return BigGraph(count, seed, store, dataset)
    shutil.rmtree(store, ignore_errors=True)
    shutil.rmtree(dataset, ignore_errors=True)
    timings: dict[str, float] = {}
    _run(
        "generate",
        [
            "generate",
            "--count",
            str(count),
            "--seed",
            str(seed),
            "--format",
            "nquads",
            "--out",
            str(dataset),
        ],
        timings,
    )
    _run(
        "load",
        [
            "--store",
            str(store),
            "load",
            "--quiet",
            "--source",
            "generated",
            "--batch-size",
            str(BATCH_SIZE),
            str(dataset),
        ],
        timings,
    )
    start = time.perf_counter()
    public = EmbeddedStore(store / "public")
    try:
        public.optimize()
    finally:
        public.close()
    timings["compact"] = time.perf_counter() - start
    marker.write_text(json.dumps(wanted))
    return BigGraph(count, seed, store, dataset, timings)


@pytest.fixture(scope="session")
def big_graph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BigGraph]:
    """The 100k demo graph (store and dataset), built once per session; read-only."""
    reuse = os.environ.get(REUSE_ENV)
    root = Path(reuse) if reuse else tmp_path_factory.mktemp("big-graph")
    start = time.perf_counter()
    graph = build_big_graph(root)
    steps = ", ".join(f"{step} {seconds:.0f} s" for step, seconds in graph.timings.items())
    _BUILT.append(
        f"big graph: {graph.count} credentials, {time.perf_counter() - start:.0f} s"
        + (f" ({steps})" if steps else f" (reused from {root})")
    )
    try:
        yield graph
    finally:
        if not reuse:  # several GB: do not leave them to pytest's kept temporary directories
            shutil.rmtree(root, ignore_errors=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say what the big graph cost this session (paid once, by the first test using it)."""
    for line in _BUILT:
        terminalreporter.write_line(line)
