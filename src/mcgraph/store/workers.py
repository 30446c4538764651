"""SPARQL queries in worker processes that can be stopped.

pyoxigraph cannot cancel a running query and a thread cannot be killed, so queries run in a
small pool of processes, each with a read-only view of a checkpoint of the store (made with
``Store.backup``, which hard-links files and is quick). A query that passes its time limit has
its process killed (SIGKILL) and replaced; the other workers, and the server, go on answering.
After every write the owner makes a new checkpoint; each job names the checkpoint to read, and a
worker reopens when it changes. Each worker also has an address-space limit, so a query that
tries to build a huge result dies alone instead of exhausting the machine.
"""

from __future__ import annotations

import itertools
import multiprocessing
import multiprocessing.connection
import queue
import resource
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from mcgraph.errors import McgraphError, UsageError
from mcgraph.store.embedded import RDF_FORMATS, EmbeddedStore, Iri, Term, restore_durations
from mcgraph.store.results import write_boolean, write_solutions


class QueryTimeoutError(McgraphError):
    """The query ran past its time limit and was stopped."""


class ResultTooLargeError(McgraphError):
    """The query's result has more rows (or triples) than the limit."""


class ServiceBusyError(McgraphError):
    """No query worker became free in time, or a worker died while answering."""


@dataclass(frozen=True)
class QueryJob:
    query: str
    result_format: str = "json"
    rdf_format: str = "turtle"
    #: None: the union of all graphs; else these graph IRIs ("" is the real default graph)
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    bindings: dict[str, Term] = field(default_factory=dict)
    base_iri: str | None = None


@dataclass(frozen=True)
class QueryAnswer:
    kind: str  # boolean | solutions | graph
    body: bytes
    count: int


def _graph(name: str) -> ox.NamedNode | ox.DefaultGraph:
    return ox.DefaultGraph() if name == "" else ox.NamedNode(name)


def _term(term: Term) -> ox.NamedNode | ox.Literal:
    if isinstance(term, Iri):
        return ox.NamedNode(term.value)
    if term.language:
        return ox.Literal(term.value, language=term.language)
    return (
        ox.Literal(term.value, datatype=ox.NamedNode(term.datatype))
        if term.datatype
        else ox.Literal(term.value)
    )


def execute(store: ox.Store, job: QueryJob, max_rows: int) -> QueryAnswer:
    """Run one query against an open store, cutting the result at ``max_rows``."""
    kwargs: dict[str, Any] = {"base_iri": job.base_iri}
    if job.default_graphs is None:
        kwargs["use_default_graph_as_union"] = True
    else:
        kwargs["default_graph"] = [_graph(g) for g in job.default_graphs]
    if job.named_graphs is not None:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    if job.bindings:
        kwargs["substitutions"] = {ox.Variable(k): _term(v) for k, v in job.bindings.items()}
    try:
        answer = store.query(job.query, **kwargs)
    except SyntaxError as error:
        raise UsageError(f"invalid SPARQL query: {error}") from None
    except RuntimeError as error:
        raise UsageError(f"the query cannot be run: {error}") from None
    if isinstance(answer, ox.QueryBoolean):
        return QueryAnswer("boolean", write_boolean(bool(answer), job.result_format), 1)
    if isinstance(answer, ox.QuerySolutions):
        variables = [v.value for v in answer.variables]
        rows = []
        for solution in itertools.islice(answer, max_rows + 1):
            rows.append([solution[v] for v in variables])
        if len(rows) > max_rows:
            raise ResultTooLargeError(f"the result has more than {max_rows} rows: add a LIMIT")
        return QueryAnswer(
            "solutions", write_solutions(variables, rows, job.result_format), len(rows)
        )
    triples = list(itertools.islice(answer, max_rows + 1))
    if len(triples) > max_rows:
        raise ResultTooLargeError(f"the result has more than {max_rows} triples: add a LIMIT")
    data = ox.serialize(triples, format=RDF_FORMATS[job.rdf_format]) or b""
    return QueryAnswer("graph", restore_durations(bytes(data)), len(triples))


def _worker(
    connection: multiprocessing.connection.Connection, max_rows: int, memory_bytes: int
) -> None:
    """A worker's life: open the checkpoint each job names, run the job, send back the answer."""
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    current: tuple[str, ox.Store] | None = None
    while True:
        try:
            checkpoint, job = connection.recv()
        except EOFError:
            return
        try:
            if current is None or current[0] != checkpoint:
                current = (checkpoint, ox.Store.read_only(checkpoint))
            connection.send(("ok", execute(current[1], job, max_rows)))
        except (UsageError, ResultTooLargeError) as error:
            connection.send(("refused", (type(error).__name__, str(error))))
        except MemoryError:
            connection.send(
                (
                    "refused",
                    ("ResultTooLargeError", "the query needs more memory than a worker may use"),
                )
            )
        except OSError as error:
            connection.send(("failed", str(error)))


class _Worker:
    def __init__(self, context: Any, max_rows: int, memory_bytes: int) -> None:
        self.connection, child = context.Pipe()
        self.process = context.Process(
            target=_worker, args=(child, max_rows, memory_bytes), daemon=True
        )
        self.process.start()
        child.close()

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


class QueryExecutor:
    """A pool of query workers over checkpoints of one on-disk store."""

    def __init__(
        self,
        store: EmbeddedStore,
        checkpoints: Path,
        *,
        workers: int = 2,
        timeout: float = 30.0,
        max_rows: int = 100_000,
        memory_bytes: int = 4 * 1024**3,
    ) -> None:
        self.store, self.checkpoints = store, checkpoints
        self.timeout, self.max_rows, self.memory_bytes = timeout, max_rows, memory_bytes
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._generation = 0
        self._checkpoint = ""
        shutil.rmtree(checkpoints, ignore_errors=True)
        checkpoints.mkdir(parents=True)
        self.refresh()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        for _ in range(max(1, workers)):
            self._idle.put(self._spawn())
        self.stopped = 0  # workers killed at the time limit (or lost), for monitoring

    def _spawn(self) -> _Worker:
        return _Worker(self._context, self.max_rows, self.memory_bytes)

    def refresh(self) -> None:
        """Make a new checkpoint after a write; later jobs read it. Old ones are removed."""
        with self._lock:
            self._generation += 1
            target = self.checkpoints / str(self._generation)
            self.store.backup(target)
            self._checkpoint = str(target)
            for old in self.checkpoints.iterdir():
                if old.name.isdigit() and int(old.name) < self._generation - 2:
                    shutil.rmtree(old, ignore_errors=True)

    def run(self, job: QueryJob) -> QueryAnswer:
        """Answer one query in a worker; stop the worker at the time limit."""
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise ServiceBusyError("every query worker is busy; try again shortly") from None
        try:
            worker.connection.send((self._checkpoint, job))
            if not worker.connection.poll(self.timeout):
                self._replace(worker)
                worker = None  # type: ignore[assignment]
                raise QueryTimeoutError(
                    f"the query ran longer than {self.timeout:g} s and was stopped"
                )
            status, payload = worker.connection.recv()
        except (EOFError, OSError, BrokenPipeError):
            self._replace(worker)
            worker = None  # type: ignore[assignment]
            raise ServiceBusyError(
                "the query worker stopped while answering (out of memory?)"
            ) from None
        finally:
            if worker is not None:
                self._idle.put(worker)
        if status == "ok":
            return payload  # type: ignore[no-any-return]
        if status == "refused":
            kind, message = payload
            raise (ResultTooLargeError if kind == "ResultTooLargeError" else UsageError)(message)
        raise ServiceBusyError(f"the query could not be answered: {payload}")

    def _replace(self, worker: _Worker) -> None:
        self.stopped += 1
        worker.stop()
        self._idle.put(self._spawn())

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().stop()
            except queue.Empty:
                break
        shutil.rmtree(self.checkpoints, ignore_errors=True)
