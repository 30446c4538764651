"""The query worker process, and the frames it exchanges with the server over one socket.

A frame: 8-byte body length, 4-byte header length, the pickled header, the body (an answer's
bytes, as the writers made them: never pickled, never copied row by row). A job's header is
``(id, checkpoint, QueryJob)``; an answer's is ``(id, status, kind, detail)``.

The process runs up to ``slots`` jobs at once, in threads over one read-only store (so they
share its block cache: four copies of a heavy query cost a third less CPU than in separate
processes). The threads take turns at the socket: one reads the next job while the others
wait for their turn, then runs it and writes its answer; so a job is never handed from a
reading thread to a working one, and a small query costs no thread switch.
"""

from __future__ import annotations

import contextlib
import multiprocessing.connection
import os
import pickle
import resource
import select
import struct
import threading
import time
from typing import Any, cast

import pyoxigraph as ox

from mcgraph.errors import UsageError
from mcgraph.store.results import QueryJob, ResultTooLargeError, execute

_PREFIX = struct.Struct("!QI")


def frame(header: object, body: bytes = b"") -> list[bytes]:
    meta = pickle.dumps(header, protocol=pickle.HIGHEST_PROTOCOL)
    return [_PREFIX.pack(len(body), len(meta)), meta, body]


def write_all(fd: int, parts: list[bytes], deadline: float | None = None) -> None:
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


class FrameStream:
    """Frames cut out of the chunks read off a socket (a chunk may end inside a frame, or hold
    several)."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, chunk: bytes) -> None:
        self._buffer += chunk

    def next(self) -> tuple[Any, bytes] | None:
        """The next whole frame, ``(header, body)``, or None until more is fed."""
        if len(self._buffer) < _PREFIX.size:
            return None
        body, meta = _PREFIX.unpack_from(self._buffer)
        end = _PREFIX.size + meta + body
        if len(self._buffer) < end:
            return None
        with memoryview(self._buffer) as view:
            header = pickle.loads(view[_PREFIX.size : _PREFIX.size + meta])
            data = bytes(view[_PREFIX.size + meta : end])
        del self._buffer[:end]
        return header, data


class _Stores:
    """The read-only store of the newest checkpoint a job named (older ones stay open while
    their jobs run: each job holds its own reference)."""

    def __init__(self, checkpoint: str) -> None:
        self._lock = threading.Lock()
        self._current: tuple[str, ox.Store] | None = None
        with contextlib.suppress(OSError):  # a failure shows again, and is answered, at a job
            self.get(checkpoint)

    def get(self, checkpoint: str) -> ox.Store:
        with self._lock:
            if self._current is None or self._current[0] != checkpoint:
                self._current = (checkpoint, ox.Store.read_only(checkpoint))
            return self._current[1]


def _answer(stores: _Stores, checkpoint: str, job: QueryJob, limits: tuple[int, int]) -> list[Any]:
    """``[status, kind, detail]`` and the body of the answer to one job."""
    try:
        answer = execute(stores.get(checkpoint), job, *limits)
        return ["ok", answer.kind, answer.count, answer.body]
    except (UsageError, ResultTooLargeError) as error:
        return ["refused", type(error).__name__, str(error), b""]
    except MemoryError:
        message = "the query needs more memory than a worker may use"
        return ["refused", "ResultTooLargeError", message, b""]
    except Exception as error:  # the store or the writer failed: say so, keep the process
        return ["failed", "", f"{type(error).__name__}: {error}", b""]


def serve(
    connection: multiprocessing.connection.Connection,
    checkpoint: str,
    slots: int,
    max_rows: int,
    max_bytes: int,
    memory_bytes: int,
) -> None:
    """A worker process's life: answer jobs, ``slots`` at a time, until the socket closes. The
    current checkpoint is opened at once, so that the first query does not wait for it."""
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    fd = connection.fileno()
    os.set_blocking(fd, True)
    stores = _Stores(checkpoint)
    frames, reading, writing = FrameStream(), threading.Lock(), threading.Lock()

    def take() -> tuple[Any, bytes] | None:
        with reading:
            while (got := frames.next()) is None:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    return None
                frames.feed(chunk)
            return got

    def work() -> None:
        while (got := take()) is not None:
            job_id, job_checkpoint, job = cast(tuple[int, str, QueryJob], got[0])
            status, kind, detail, body = _answer(stores, job_checkpoint, job, (max_rows, max_bytes))
            with writing:
                write_all(fd, frame((job_id, status, kind, detail), body))

    for _ in range(max(1, slots) - 1):
        threading.Thread(target=work, daemon=True).start()
    work()  # until the server closes the socket (or is gone): then the process ends
