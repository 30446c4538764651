"""Federated queries end to end: mcgraph's /sparql joining local credentials with an allow-listed
``oxigraph serve`` endpoint through SERVICE; every other SERVICE refused (403) before any
connection is made (a listener on a local port records connection attempts); a listed endpoint
that hangs is stopped at the query timeout."""

from __future__ import annotations

import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from live_server import free_port, oxigraph_binary, running_server
from mcgraph.cli import main
from mcgraph.sparql_guard import QueryRefusedError, check_query, check_update
from mcgraph.synthetic import write_dataset

TIMEOUT = 3.0
EX = "http://example.org/registry#"
QUERY = """
PREFIX elm: <http://data.europa.eu/snb/model/elm/>
PREFIX cred: <https://www.w3.org/2018/credentials#>
PREFIX ex: <http://example.org/registry#>
SELECT ?credential ?provider ?students WHERE {
  GRAPH ?g { ?credential cred:credentialSubject/elm:hasClaim/elm:awardedBy/elm:awardingBody ?provider }
  SERVICE <%s> { ?provider ex:students ?students }
}
ORDER BY ?credential
"""


class Listener:
    """A TCP port that records every connection made to it; ``hang`` keeps them open unanswered."""

    def __init__(self, *, hang: bool = False) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.port = int(self.socket.getsockname()[1])
        self.connections = 0
        self.hang = hang
        self._open: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/query"

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            if self.hang:
                self._open.append(connection)
            else:
                connection.close()

    def close(self) -> None:
        self.socket.close()
        for connection in self._open:
            connection.close()


@contextmanager
def oxigraph_endpoint(location: Path, turtle: str) -> Iterator[str]:
    """``oxigraph serve`` on a loopback port, loaded with ``turtle``; yields its query URL."""
    port = free_port()
    process = subprocess.Popen(
        [oxigraph_binary(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/query", params={"query": "ASK {}"}, timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("oxigraph serve did not start") from None
                time.sleep(0.1)
        answer = httpx.post(
            f"{base}/store?default", content=turtle, headers={"Content-Type": "text/turtle"}
        )
        assert answer.status_code in (200, 201, 204), answer.text
        yield f"{base}/query"
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    root = tmp_path_factory.mktemp("federation")
    write_dataset(root / "data", count=8, seed=5, fmt="nquads")
    assert main(["--store", str(root / "store"), "load", "--quiet", str(root / "data")]) == 0
    text = (root / "data" / "credentials.nq").read_text(encoding="utf-8")
    bodies = sorted(set(re.findall(r"awardingBody> <([^>]+)>", text)))
    assert len(bodies) >= 2
    # the remote registry knows all but the last awarding body
    described = {body: 1000 * (i + 1) for i, body in enumerate(bodies[:-1])}
    turtle = "".join(f"<{body}> <{EX}students> {n} .\n" for body, n in described.items())
    unlisted, hanging = Listener(), Listener(hang=True)
    with oxigraph_endpoint(root / "remote", turtle) as remote:
        allow = f"{remote},{hanging.url}"
        with running_server(
            root / "store",
            token=None,
            extra_env={"MCGRAPH_SERVICE_ALLOW_LIST": allow},
            args=("--query-timeout", str(TIMEOUT)),
        ) as base:
            yield {
                "base": base,
                "remote": remote,
                "described": described,
                "text": text,
                "unlisted": unlisted,
                "hanging": hanging,
            }
    unlisted.close()
    hanging.close()


def _sparql(base: str, query: str, timeout: float = 60) -> httpx.Response:
    return httpx.post(
        f"{base}/sparql",
        data={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=timeout,
    )


def test_service_to_the_listed_endpoint_joins_local_credentials(
    federation: dict[str, object],
) -> None:
    answer = _sparql(str(federation["base"]), QUERY % federation["remote"])
    assert answer.status_code == 200, answer.text
    rows = answer.json()["results"]["bindings"]
    described = federation["described"]
    assert isinstance(described, dict)
    text = str(federation["text"])
    expected = {
        (credential, body, str(described[body]))
        for credential, body in re.findall(
            r"<([^>]+/credential/\d+)/awarding> <[^>]+awardingBody> <([^>]+)>", text
        )
        if body in described
    }
    assert expected
    got = {(r["credential"]["value"], r["provider"]["value"], r["students"]["value"]) for r in rows}
    assert got == expected  # every local credential of a described body, and only those


def test_unlisted_endpoint_is_refused_before_any_connection(
    federation: dict[str, object],
) -> None:
    unlisted = federation["unlisted"]
    assert isinstance(unlisted, Listener)
    for query in (
        QUERY % unlisted.url,
        (QUERY % unlisted.url).replace("SERVICE <", "SERVICE SILENT <"),
        f"PREFIX u: <http://127.0.0.1:{unlisted.port}/>\n"
        + (QUERY % "X").replace("SERVICE <X>", "SERVICE u:query"),
    ):
        answer = _sparql(str(federation["base"]), query)
        assert answer.status_code == 403, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "allow-list" in answer.json()["detail"]
    time.sleep(0.5)
    assert unlisted.connections == 0
    # the listener does count connections: it is not the reason nothing was seen
    socket.create_connection(("127.0.0.1", unlisted.port), timeout=2).close()
    deadline = time.monotonic() + 5
    while unlisted.connections == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert unlisted.connections == 1


def test_service_on_a_variable_or_a_non_web_scheme_is_refused(
    federation: dict[str, object],
) -> None:
    base = str(federation["base"])
    remote = str(federation["remote"])
    variable = "SELECT * WHERE { BIND(<@> AS ?e) SERVICE ?e { ?s ?p ?o } }".replace("@", remote)
    answer = _sparql(base, variable)
    assert answer.status_code == 403 and "variable" in answer.json()["detail"]
    for target in ("file:///etc/passwd", "ftp://127.0.0.1/query", "urn:x:endpoint"):
        answer = _sparql(base, f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}")
        assert answer.status_code == 403, (target, answer.text)


def test_listed_endpoint_that_hangs_is_stopped_at_the_query_timeout(
    federation: dict[str, object],
) -> None:
    hanging = federation["hanging"]
    assert isinstance(hanging, Listener)
    start = time.monotonic()
    answer = _sparql(str(federation["base"]), QUERY % hanging.url, timeout=TIMEOUT * 10)
    took = time.monotonic() - start
    assert answer.status_code == 503, answer.text
    assert hanging.connections >= 1  # it really was asked: the timeout, not the guard, stopped it
    assert took < TIMEOUT * 4
    # the service still answers afterwards
    assert _sparql(str(federation["base"]), "ASK { ?s ?p ?o }").status_code == 200


def test_guard_refuses_non_web_schemes_even_when_listed() -> None:
    listed = ("file:///etc/passwd", "http://127.0.0.1:1/query")
    with pytest.raises(QueryRefusedError, match="http"):
        check_query(
            "SELECT * { SERVICE <file:///etc/passwd> { ?s ?p ?o } }",
            max_depth=50,
            allowed_services=listed,
        )
    with pytest.raises(QueryRefusedError, match="LOAD"):
        check_update("LOAD <file:///etc/passwd>", max_depth=50, allowed_sources=listed)
    scan = check_query(
        "SELECT * { SERVICE <http://127.0.0.1:1/query> { ?s ?p ?o } }",
        max_depth=50,
        allowed_services=listed,
    )
    assert scan.services == ("http://127.0.0.1:1/query",)
