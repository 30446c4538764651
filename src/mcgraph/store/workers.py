"""SPARQL queries in worker processes that can be stopped.

pyoxigraph cannot cancel a running query and a thread cannot be killed, so queries run in a
small pool of processes, each with a read-only view of a checkpoint of the store (made with
``Store.backup``, which hard-links files and is quick). A query that passes its time limit has
its process killed (SIGKILL) and replaced; the other workers, and the server, go on answering.
After every write the owner makes a new checkpoint; each job names the checkpoint to read, and a
worker reopens when it changes. Each worker also has an address-space limit, so a query that
tries to build a huge result dies alone instead of exhausting the machine.

A worker serialises the answer itself (pyoxigraph's writers, see :mod:`mcgraph.store.results`)
and sends the bytes back in one frame over a socket pair. The event loop of the HTTP server
waits for the frame with :meth:`QueryExecutor.answer` (no thread in between); threads call
:meth:`QueryExecutor.run`. Both share one pool.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import multiprocessing
import multiprocessing.connection
import os
import pickle
import resource
import select
import shutil
import struct
import threading
import time
from pathlib import Path
from typing import Any, cast

import pyoxigraph as ox

from mcgraph.errors import McgraphError, UsageError
from mcgraph.store.embedded import EmbeddedStore
from mcgraph.store.results import QueryAnswer, QueryJob, ResultTooLargeError, execute

__all__ = [
    "QueryAnswer",
    "QueryExecutor",
    "QueryJob",
    "QueryTimeoutError",
    "ResultTooLargeError",
    "ServiceBusyError",
    "execute",
]


class QueryTimeoutError(McgraphError):
    """The query ran past its time limit and was stopped."""


class ServiceBusyError(McgraphError):
    """No query worker became free in time, or a worker died while answering."""


# -- frames: 8-byte body length, 4-byte header length, pickled header, body ------------------

_PREFIX = struct.Struct("!QI")


def _frame(header: object, body: bytes = b"") -> list[bytes]:
    meta = pickle.dumps(header, protocol=pickle.HIGHEST_PROTOCOL)
    return [_PREFIX.pack(len(body), len(meta)), meta, body]


def _write_all(fd: int, parts: list[bytes], deadline: float | None = None) -> None:
    """Write every part to ``fd`` (blocking or not), waiting for room until ``deadline``."""
    views = [memoryview(p) for p in parts if p]
    while views:
        try:
            written = os.writev(fd, views)
        except BlockingIOError:
            left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            if not select.select([], [fd], [], left)[1]:
                raise TimeoutError("the peer does not read") from None
            continue
        while written and views:
            if written >= len(views[0]):
                written -= len(views.pop(0))
            else:
                views[0], written = views[0][written:], 0


class _FrameReader:
    """Collects one frame from the chunks read off a socket."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.need = _PREFIX.size

    def feed(self, chunk: bytes) -> bool:
        """Add a chunk; True once the frame is complete."""
        self.buffer += chunk
        if self.need == _PREFIX.size and len(self.buffer) >= _PREFIX.size:
            body, meta = _PREFIX.unpack_from(self.buffer)
            self.need = _PREFIX.size + meta + body
        return len(self.buffer) >= self.need

    def message(self) -> tuple[object, bytes]:
        _, meta = _PREFIX.unpack_from(self.buffer)
        start = _PREFIX.size + meta
        view = memoryview(self.buffer)
        return pickle.loads(view[_PREFIX.size : start]), bytes(view[start:])


# -- the worker process -------------------------------------------------------------------------


def _worker(
    connection: multiprocessing.connection.Connection,
    checkpoint: str,
    max_rows: int,
    max_bytes: int,
    memory_bytes: int,
) -> None:
    """A worker's life: open the checkpoint each job names, run the job, send back the answer.
    The current checkpoint is opened at once, so that the first query does not wait for it."""
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    fd = connection.fileno()
    os.set_blocking(fd, True)
    current: tuple[str, ox.Store] | None = None
    with contextlib.suppress(OSError):  # a failure shows again, and is answered, at a job
        current = (checkpoint, ox.Store.read_only(checkpoint))
    while True:
        reader = _FrameReader()
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return
            if reader.feed(chunk):
                break
        message, _ = reader.message()
        checkpoint, job = cast(tuple[str, QueryJob], message)
        try:
            if current is None or current[0] != checkpoint:
                current = (checkpoint, ox.Store.read_only(checkpoint))
            answer = execute(current[1], job, max_rows, max_bytes)
            parts = _frame(("ok", answer.kind, answer.count), answer.body)
        except (UsageError, ResultTooLargeError) as error:
            parts = _frame(("refused", type(error).__name__, str(error)))
        except MemoryError:
            message = "the query needs more memory than a worker may use"
            parts = _frame(("refused", "ResultTooLargeError", message))
        except Exception as error:  # the store or the writer failed: say so, keep the worker
            parts = _frame(("failed", "", f"{type(error).__name__}: {error}"))
        _write_all(fd, parts)


class _Worker:
    def __init__(self, context: Any, *args: str | int) -> None:
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_worker, args=(child, *args), daemon=True)
        self.process.start()
        child.close()
        self.fd = self.connection.fileno()
        os.set_blocking(self.fd, False)

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


# -- the pool -----------------------------------------------------------------------------------

#: a caller waiting for a worker: a thread (thread-safe future) or a coroutine (its loop's)
_Waiter = concurrent.futures.Future[_Worker] | asyncio.Future[_Worker]


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _expire(future: asyncio.Future[Any]) -> None:
    """The time limit of an awaited future (cheaper than ``asyncio.wait_for``)."""
    if not future.done():
        future.set_exception(TimeoutError())


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
        max_bytes: int = 512 * 2**20,
        memory_bytes: int = 4 * 1024**3,
    ) -> None:
        self.store, self.checkpoints = store, checkpoints
        self.timeout, self.max_rows, self.max_bytes = timeout, max_rows, max_bytes
        self.memory_bytes = memory_bytes
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()  # the pool
        self._refresh_lock = threading.Lock()  # checkpoints (slow: not under the pool's lock)
        self._generation = 0
        self._checkpoint = ""
        shutil.rmtree(checkpoints, ignore_errors=True)
        checkpoints.mkdir(parents=True)
        self.refresh()
        self._idle: list[_Worker] = []
        #: callers waiting for a worker, first come first served: threads and event loops
        self._waiting: collections.deque[_Waiter] = collections.deque()
        self._closed = False
        for _ in range(max(1, workers)):
            self._idle.append(self._spawn())
        self.stopped = 0  # workers killed at the time limit (or lost), for monitoring

    def _spawn(self) -> _Worker:
        return _Worker(
            self._context, self._checkpoint, self.max_rows, self.max_bytes, self.memory_bytes
        )

    def refresh(self) -> None:
        """Make a new checkpoint after a write; later jobs read it. Old ones are removed."""
        with self._refresh_lock:
            self._generation += 1
            target = self.checkpoints / str(self._generation)
            self.store.backup(target)
            self._checkpoint = str(target)
            for old in self.checkpoints.iterdir():
                if old.name.isdigit() and int(old.name) < self._generation - 2:
                    shutil.rmtree(old, ignore_errors=True)

    # -- handing workers out

    def _claim(
        self, loop: asyncio.AbstractEventLoop | None = None
    ) -> tuple[_Worker | None, _Waiter | None]:
        """An idle worker, or else a place in the queue for the next one released (a future
        of ``loop`` for a coroutine, a thread-safe one for a thread)."""
        with self._lock:
            if self._closed:
                raise ServiceBusyError("the query service is shutting down")
            if self._idle:
                return self._idle.pop(), None
            waiter: _Waiter = concurrent.futures.Future() if loop is None else loop.create_future()
            self._waiting.append(waiter)
            return None, waiter

    def _release(self, worker: _Worker) -> None:
        """Give the worker to the longest waiting caller still waiting, or put it back."""
        with self._lock:
            while self._waiting:
                waiter = self._waiting.popleft()
                if isinstance(waiter, concurrent.futures.Future):
                    if waiter.set_running_or_notify_cancel():
                        waiter.set_result(worker)
                        return
                elif not waiter.done():
                    if _running_loop() is waiter.get_loop():
                        waiter.set_result(worker)
                    else:
                        waiter.get_loop().call_soon_threadsafe(self._hand_over, waiter, worker)
                    return
            if self._closed:
                worker.stop()
            else:
                self._idle.append(worker)

    def _hand_over(self, waiter: asyncio.Future[_Worker], worker: _Worker) -> None:
        """In the waiter's event loop: the worker is its, unless it stopped waiting meanwhile."""
        if waiter.done():
            self._release(worker)
        else:
            waiter.set_result(worker)

    @staticmethod
    def _busy() -> ServiceBusyError:
        return ServiceBusyError("every query worker is busy; try again shortly")

    def _message(self, job: QueryJob) -> list[bytes]:
        return _frame((self._checkpoint, job))

    def _outcome(self, header: Any, body: bytes) -> QueryAnswer:
        status, kind, detail = header
        if status == "ok":
            return QueryAnswer(kind, body, detail)
        if status == "refused":
            raise (ResultTooLargeError if kind == "ResultTooLargeError" else UsageError)(detail)
        raise ServiceBusyError(f"the query could not be answered: {detail}")

    def _replace(self, worker: _Worker) -> None:
        self.stopped += 1
        worker.stop()
        self._release(self._spawn())

    # -- for threads

    def run(self, job: QueryJob) -> QueryAnswer:
        """Answer one query in a worker (blocking); stop the worker at the time limit."""
        worker, waiter = self._claim()
        if isinstance(waiter, concurrent.futures.Future):
            try:
                worker = waiter.result(timeout=self.timeout)
            except concurrent.futures.TimeoutError:
                if waiter.cancel():
                    raise self._busy() from None
                worker = waiter.result()
        assert worker is not None
        deadline = time.monotonic() + self.timeout
        reader = _FrameReader()
        try:
            _write_all(worker.fd, self._message(job), deadline)
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([worker.fd], [], [], left)[0]:
                    raise TimeoutError
                try:
                    chunk = os.read(worker.fd, 1 << 20)
                except BlockingIOError:
                    continue
                if not chunk:
                    raise EOFError
                if reader.feed(chunk):
                    break
        except TimeoutError:
            self._replace(worker)
            raise self._timed_out() from None
        except (EOFError, OSError):
            self._replace(worker)
            raise self._lost() from None
        self._release(worker)
        return self._outcome(*reader.message())

    def _timed_out(self) -> QueryTimeoutError:
        return QueryTimeoutError(f"the query ran longer than {self.timeout:g} s and was stopped")

    @staticmethod
    def _lost() -> ServiceBusyError:
        return ServiceBusyError("the query worker stopped while answering (out of memory?)")

    # -- for the event loop

    async def answer(self, job: QueryJob) -> QueryAnswer:
        """Answer one query in a worker without blocking the event loop; stop the worker at
        the time limit (or when the caller is cancelled, since its answer is no longer wanted).
        """
        loop = asyncio.get_running_loop()
        worker, waiter = self._claim(loop)
        if isinstance(waiter, asyncio.Future):
            timer = loop.call_later(self.timeout, _expire, waiter)
            try:
                worker = await waiter
            except TimeoutError:
                raise self._busy() from None
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                    self._release(waiter.result())  # handed over as the caller was cancelled
                raise
            finally:
                timer.cancel()
        assert worker is not None
        fd = worker.fd
        done: asyncio.Future[None] = loop.create_future()
        reader = _FrameReader()

        def readable() -> None:
            failure: OSError | None = None
            try:
                chunk = os.read(fd, 1 << 20)
            except BlockingIOError:
                return
            except OSError as error:
                chunk, failure = b"", error
            if done.done():
                return
            if not chunk:
                done.set_exception(failure or EOFError())
            elif reader.feed(chunk):
                done.set_result(None)

        try:
            _write_all(fd, self._message(job), time.monotonic() + self.timeout)
            loop.add_reader(fd, readable)
            timer = loop.call_later(self.timeout, _expire, done)
            try:
                await done
            finally:
                timer.cancel()
                loop.remove_reader(fd)
        except TimeoutError:
            await asyncio.to_thread(self._replace, worker)
            raise self._timed_out() from None
        except (EOFError, OSError):
            await asyncio.to_thread(self._replace, worker)
            raise self._lost() from None
        except asyncio.CancelledError:
            threading.Thread(target=self._replace, args=(worker,), daemon=True).start()
            raise
        self._release(worker)
        return self._outcome(*reader.message())

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            while self._waiting:
                waiter = self._waiting.popleft()
                if isinstance(waiter, concurrent.futures.Future):
                    waiter.cancel()
                else:
                    waiter.get_loop().call_soon_threadsafe(waiter.cancel)
        for worker in idle:
            worker.stop()
        shutil.rmtree(self.checkpoints, ignore_errors=True)
