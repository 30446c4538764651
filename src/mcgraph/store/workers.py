"""SPARQL queries in a worker process that can be stopped.

pyoxigraph cannot cancel a running query and a thread cannot be killed, so queries run in a
separate process with a read-only view of a checkpoint of the store (made with
``Store.backup``, which hard-links files and is quick). That process runs up to ``workers``
queries at once, in threads sharing one store and its cache (see
:mod:`mcgraph.store.worker_process`). A query that passes its time limit has the process
killed (SIGKILL); a standby process, started beforehand with the checkpoint open, takes over at
once, and the queries that were running beside the runaway are sent to it again (once each) —
so the server, and every other query, go on answering. A new standby is started at once. After
every write the owner makes a new checkpoint; each job names the checkpoint to read, and a
process reopens when it changes. Each process also has an address-space limit, so a query that
tries to build a huge result dies with its process instead of exhausting the machine (if it
was alone there, it is the one refused; else every query there is tried once more).

All the bookkeeping runs on one event loop: the server's (a coroutine awaits
:meth:`QueryExecutor.answer` with no thread in between), or, for an executor made outside a
loop, a loop of its own in a thread. Threads call :meth:`QueryExecutor.run`.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import itertools
import multiprocessing
import os
import shutil
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcgraph.errors import McgraphError, UsageError
from mcgraph.store.embedded import EmbeddedStore
from mcgraph.store.results import QueryAnswer, QueryJob, ResultTooLargeError, execute
from mcgraph.store.worker_process import FrameStream, frame, serve, write_all

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
    """No query slot became free in time, or the worker died while answering."""


class _Process:
    """A worker process and the jobs it has been sent and not answered yet."""

    def __init__(self, context: Any, *args: str | int) -> None:
        self.connection, child = context.Pipe()
        self.process = context.Process(target=serve, args=(child, *args), daemon=True)
        self.process.start()
        child.close()
        self.fd = self.connection.fileno()
        os.set_blocking(self.fd, False)
        self.frames = FrameStream()
        self.calls: dict[int, _Call] = {}
        self.reading = False  # the fd is registered with the executor's loop

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


@dataclass(eq=False)
class _Call:
    id: int
    job: QueryJob
    future: asyncio.Future[QueryAnswer]
    process: _Process | None = None
    timer: asyncio.TimerHandle | None = None
    retried: bool = False


def _expire(future: asyncio.Future[Any]) -> None:
    """The time limit of an awaited future (cheaper than ``asyncio.wait_for``)."""
    if not future.done():
        future.set_exception(TimeoutError())


class QueryExecutor:
    """Query slots in a worker process (and a standby) over checkpoints of one on-disk store."""

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
        self.timeout, self.slots = timeout, max(1, workers)
        self._limits = (max_rows, max_bytes, memory_bytes)
        self._context = multiprocessing.get_context("spawn")
        self._refresh_lock = threading.Lock()
        self._generation = 0
        self._checkpoint = ""
        shutil.rmtree(checkpoints, ignore_errors=True)
        checkpoints.mkdir(parents=True)
        self.refresh()
        try:
            self._loop = asyncio.get_running_loop()
            self._thread: threading.Thread | None = None
        except RuntimeError:  # no loop here (a script, a test): run one of our own
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
            self._thread.start()
        self._ids = itertools.count()
        self._free = self.slots
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()
        self._primary = self._spawn()
        self._standby: _Process | None = self._spawn()
        self._closed = False
        self.stopped = 0  # processes killed at the time limit (or lost), for monitoring

    def _spawn(self) -> _Process:
        return _Process(self._context, self._checkpoint, self.slots, *self._limits)

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

    # -- the callers' side

    async def answer(self, job: QueryJob) -> QueryAnswer:
        """Answer one query without blocking the event loop; stop it at the time limit."""
        if asyncio.get_running_loop() is self._loop:
            return await self._answer(job)
        return await asyncio.wrap_future(self._submit(self._answer(job)))

    def run(self, job: QueryJob) -> QueryAnswer:
        """Answer one query (from a thread, never the loop's own: it blocks)."""
        return self._submit(self._answer(job)).result()

    def _submit(
        self, work: Coroutine[Any, Any, QueryAnswer]
    ) -> concurrent.futures.Future[QueryAnswer]:
        return asyncio.run_coroutine_threadsafe(work, self._loop)

    # -- on the loop

    async def _answer(self, job: QueryJob) -> QueryAnswer:
        await self._acquire()
        try:
            call = _Call(next(self._ids), job, self._loop.create_future())
            self._send(call)
            return await call.future
        finally:
            self._release()

    async def _acquire(self) -> None:
        """A query slot, waiting (first come, first served) up to the time limit."""
        if self._closed:
            raise ServiceBusyError("the query service is shutting down")
        if self._free and not self._waiting:
            self._free -= 1
            return
        turn: asyncio.Future[None] = self._loop.create_future()
        self._waiting.append(turn)
        timer = self._loop.call_later(self.timeout, _expire, turn)
        try:
            await turn
        except TimeoutError:
            raise ServiceBusyError("every query slot is busy; try again shortly") from None
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled() and turn.exception() is None:
                self._release()  # the slot came as the caller gave up: pass it on
            raise
        finally:
            timer.cancel()

    def _release(self) -> None:
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self._free += 1

    def _send(self, call: _Call) -> None:
        """Send a call to the primary process and start (or restart) its clock."""
        process = self._primary
        call.process = process
        process.calls[call.id] = call
        if not process.reading:
            self._loop.add_reader(process.fd, self._readable, process)
            process.reading = True
        if call.timer is not None:
            call.timer.cancel()
        call.timer = self._loop.call_later(self.timeout, self._overdue, call)
        message = frame((call.id, self._checkpoint, call.job))
        try:
            write_all(process.fd, message, time.monotonic() + 5)
        except (OSError, TimeoutError):  # the process was gone already: nobody's fault
            self._lose(process, None, suspect=False)

    def _readable(self, process: _Process) -> None:
        try:
            chunk = os.read(process.fd, 1 << 20)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._lose(process, None)
            return
        process.frames.feed(chunk)
        while (got := process.frames.next()) is not None:
            (call_id, status, kind, detail), body = got
            call = process.calls.pop(call_id, None)
            if call is None:
                continue
            if call.timer is not None:
                call.timer.cancel()
            if not call.future.done():  # else its caller has gone
                self._settle(call.future, status, kind, detail, body)

    @staticmethod
    def _settle(
        future: asyncio.Future[QueryAnswer], status: str, kind: str, detail: Any, body: bytes
    ) -> None:
        if status == "ok":
            future.set_result(QueryAnswer(kind, body, detail))
        elif status == "refused":
            error = ResultTooLargeError if kind == "ResultTooLargeError" else UsageError
            future.set_exception(error(detail))
        else:
            future.set_exception(ServiceBusyError(f"the query could not be answered: {detail}"))

    def _overdue(self, call: _Call) -> None:
        """The time limit: the call's process is killed (even if its caller has gone: the query
        would hold a thread there for ever), the call refused."""
        process = call.process
        if process is None or process.calls.get(call.id) is not call:
            return  # answered meanwhile
        if not call.future.done():
            call.future.set_exception(
                QueryTimeoutError(f"the query ran longer than {self.timeout:g} s and was stopped")
            )
        self._lose(process, call)

    def _lose(self, process: _Process, culprit: _Call | None, *, suspect: bool = True) -> None:
        """Kill a process, put the standby in its place and start a new standby; the calls that
        were running there beside the culprit are sent again, once. Without a known culprit
        (the process died: out of memory?), a call alone there is taken for the culprit."""
        if process.reading:
            self._loop.remove_reader(process.fd)
            process.reading = False
        for call in process.calls.values():
            if call.timer is not None:
                call.timer.cancel()
        calls = [c for c in process.calls.values() if c is not culprit and not c.future.done()]
        process.calls.clear()
        process.process.kill()
        self._loop.run_in_executor(None, process.kill)  # reap it without holding up the loop
        self.stopped += 1
        if process is self._primary:
            standby = self._standby
            alive = standby is not None and standby.process.is_alive()
            self._primary = standby if alive and standby is not None else self._spawn()
            self._standby = None if self._closed else self._spawn()
        elif process is self._standby:
            self._standby = None if self._closed else self._spawn()
        if culprit is None and suspect and len(calls) == 1:
            calls[0].retried = True
        for call in calls:
            if call.retried or self._closed:
                call.future.set_exception(
                    ServiceBusyError("the query worker stopped while answering (out of memory?)")
                )
            else:
                call.retried = True
                self._send(call)

    def close(self) -> None:
        """Stop the processes (refusing what they were doing) and remove the checkpoints."""
        try:
            on_loop = asyncio.get_running_loop() is self._loop
        except RuntimeError:
            on_loop = False
        if on_loop or not self._loop.is_running():
            self._shutdown()
        else:
            asyncio.run_coroutine_threadsafe(self._shutdown_async(), self._loop).result(30)
        if self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            self._loop.close()
        shutil.rmtree(self.checkpoints, ignore_errors=True)

    async def _shutdown_async(self) -> None:
        self._shutdown()

    def _shutdown(self) -> None:
        self._closed = True
        while self._waiting:
            self._waiting.popleft().cancel()
        for process in (self._primary, self._standby):
            if process is None:
                continue
            if process.reading and not self._loop.is_closed():
                self._loop.remove_reader(process.fd)
                process.reading = False
            for call in process.calls.values():
                if call.timer is not None:
                    call.timer.cancel()
                if not call.future.done():
                    call.future.set_exception(ServiceBusyError("the query service stopped"))
            process.calls.clear()
            process.kill()
