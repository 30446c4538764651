"""A real mcgraph server for tests: ``mcgraph serve`` in a subprocess on a free loopback port,
over a store directory the test chooses, stopped when the test is done."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

TOKEN = "test-write-token"


def oxigraph_binary() -> str:
    """The Oxigraph server of the PyPI package ``oxigraph`` (on PATH, or beside this Python)."""
    return shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(
    store: Path,
    *,
    token: str | None = TOKEN,
    extra_env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
) -> Iterator[str]:
    """Start ``mcgraph --store STORE serve`` and yield its base URL once it answers."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("MCGRAPH_")}
    if token is not None:
        env["MCGRAPH_WRITE_TOKEN"] = token
    env.update(extra_env or {})
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mcgraph.cli",
            "--store",
            str(store),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *args,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"server exited: {process.stderr.read().decode() if process.stderr else ''}"
                )
            try:
                if httpx.get(f"{base}/sparql", timeout=2).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start in time")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
