"""ContextResolver: local directories, the cache, and the guarded fetch path (never the network)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from mcgraph import contexts
from mcgraph.contexts import ContextResolver
from mcgraph.errors import ConfigurationError, ContextUnavailableError
from mcgraph.settings import Settings

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SHARED_CONTEXTS = SHARED / "contexts"
CREDENTIALS_V1 = "https://www.w3.org/2018/credentials/v1"


def write_context_dir(directory: Path, contexts_by_url: dict[str, Any]) -> Path:
    """A context directory in the shared layout: index.json plus one file per context."""
    directory.mkdir(parents=True, exist_ok=True)
    index = {}
    for number, (url, document) in enumerate(contexts_by_url.items()):
        name = f"context-{number}.jsonld"
        (directory / name).write_text(json.dumps(document))
        index[url] = name
    (directory / "index.json").write_text(json.dumps(index))
    return directory


class RecordingTransport(httpx.MockTransport):
    """An httpx transport that answers from a function and remembers every request."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self.requests: list[httpx.Request] = []

        def handle(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return answer(request)

        super().__init__(handle)


def fake_dns(*addresses: str) -> Callable[..., list[Any]]:
    """A getaddrinfo that answers every name with the given addresses."""

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    return getaddrinfo


def test_resolves_every_shared_context_and_memoises(tmp_path: Path) -> None:
    settings = Settings(contexts=(SHARED_CONTEXTS,), context_cache=tmp_path / "cache")
    resolver = ContextResolver(settings)
    index = json.loads((SHARED_CONTEXTS / "index.json").read_text())
    for url in index:
        document = resolver.resolve(url, source="doc.jsonld")
        assert "@context" in document
        assert resolver.resolve(url, source="other.jsonld") is document  # parsed once
    assert not (tmp_path / "cache").exists()  # reading never creates the cache


def test_search_order_is_directories_then_cache(tmp_path: Path) -> None:
    first = write_context_dir(tmp_path / "a", {"https://x.test/c": {"@context": {"from": "a"}}})
    second = write_context_dir(tmp_path / "b", {"https://x.test/c": {"@context": {"from": "b"}}})
    cache = write_context_dir(
        tmp_path / "cache",
        {
            "https://x.test/c": {"@context": {"from": "cache"}},
            "https://x.test/only-cached": {"@context": {"from": "cache"}},
        },
    )
    resolver = ContextResolver(Settings(contexts=(first, second), context_cache=cache))
    assert resolver.resolve("https://x.test/c", source="d")["@context"] == {"from": "a"}
    only_cached = resolver.resolve("https://x.test/only-cached", source="d")
    assert only_cached["@context"] == {"from": "cache"}


def test_missing_context_names_the_url_and_the_document(tmp_path: Path) -> None:
    resolver = ContextResolver(Settings(context_cache=tmp_path / "cache"))
    with pytest.raises(ContextUnavailableError) as caught:
        resolver.resolve("https://example.org/no-such-context", source="upload.jsonld")
    assert caught.value.url == "https://example.org/no-such-context"
    assert caught.value.source == "upload.jsonld"
    assert "https://example.org/no-such-context" in str(caught.value)


def test_broken_context_directories_are_configuration_errors(tmp_path: Path) -> None:
    no_index = tmp_path / "no-index"
    no_index.mkdir()
    with pytest.raises(ConfigurationError, match=r"index\.json"):
        ContextResolver(Settings(contexts=(no_index,))).resolve("https://x.test/c", source="d")

    escaping = tmp_path / "escaping"
    escaping.mkdir()
    (escaping / "index.json").write_text(json.dumps({"https://x.test/c": "../secret.json"}))
    with pytest.raises(ConfigurationError, match="not a file name"):
        ContextResolver(Settings(contexts=(escaping,))).resolve("https://x.test/c", source="d")


def test_fetching_disabled_refuses_without_any_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = RecordingTransport(lambda request: httpx.Response(200, json={"@context": {}}))

    def no_dns(*args: object, **kwargs: object) -> list[Any]:
        raise AssertionError("no name may be resolved when fetching is disabled")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    settings = Settings(context_cache=tmp_path / "cache", fetch_contexts=False)
    resolver = ContextResolver(settings, client=httpx.Client(transport=transport))
    with pytest.raises(ContextUnavailableError, match="fetching contexts is disabled"):
        resolver.resolve("https://www.w3.org/ns/unknown", source="d.jsonld")
    assert transport.requests == []


@pytest.mark.parametrize(
    ("url", "addresses", "problem"),
    [
        ("http://www.w3.org/ns/plain-http", ("93.184.216.34",), "not an https URL"),
        ("https://evil.example/ctx", ("93.184.216.34",), "allow-list"),
        ("https://www.w3.org/ctx", ("10.0.0.5",), "non-public"),
        ("https://www.w3.org/ctx", ("127.0.0.1",), "non-public"),
        ("https://www.w3.org/ctx", ("169.254.169.254",), "non-public"),
        ("https://www.w3.org/ctx", ("0.0.0.0",), "non-public"),
        ("https://www.w3.org/ctx", ("224.0.0.1",), "non-public"),
        ("https://www.w3.org/ctx", ("::1",), "non-public"),
        ("https://www.w3.org/ctx", ("::ffff:192.168.1.1",), "non-public"),
        ("https://www.w3.org/ctx", ("fe80::1",), "non-public"),
        # Every address is checked, not just the first one.
        ("https://www.w3.org/ctx", ("93.184.216.34", "192.168.0.10"), "non-public"),
    ],
)
def test_unsafe_targets_are_refused_before_connecting(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    addresses: tuple[str, ...],
    problem: str,
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", fake_dns(*addresses))
    transport = RecordingTransport(lambda request: httpx.Response(200, json={"@context": {}}))
    settings = Settings(context_cache=tmp_path / "cache", fetch_contexts=True)
    resolver = ContextResolver(settings, client=httpx.Client(transport=transport))
    with pytest.raises(ContextUnavailableError, match=problem) as caught:
        resolver.resolve(url, source="d.jsonld")
    assert caught.value.url == url
    assert transport.requests == []
    assert not (tmp_path / "cache").exists()


def test_fetch_is_pinned_to_the_vetted_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request goes to the address that was checked, so a second DNS answer cannot differ."""
    monkeypatch.setattr(socket, "getaddrinfo", fake_dns("93.184.216.34"))
    transport = RecordingTransport(lambda request: httpx.Response(200, json={"@context": {"a": 1}}))
    settings = Settings(context_cache=tmp_path / "cache", fetch_contexts=True)
    resolver = ContextResolver(settings, client=httpx.Client(transport=transport))
    document = resolver.resolve("https://www.w3.org/ns/x.jsonld?v=1", source="d")
    assert document == {"@context": {"a": 1}}
    (request,) = transport.requests
    assert str(request.url) == "https://93.184.216.34/ns/x.jsonld?v=1"
    assert request.headers["host"] == "www.w3.org"
    assert request.extensions["sni_hostname"] == "www.w3.org"


def test_the_test_knob_allows_plain_http_to_loopback_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", fake_dns("93.184.216.34"))
    transport = RecordingTransport(lambda request: httpx.Response(200, json={"@context": {}}))
    settings = Settings(context_cache=tmp_path / "cache", fetch_contexts=True)
    resolver = ContextResolver(
        settings,
        client=httpx.Client(transport=transport),
        allow_insecure_loopback_for_tests=True,
    )
    with pytest.raises(ContextUnavailableError, match="not an https URL"):
        resolver.resolve("http://www.w3.org/ctx", source="d")
    assert transport.requests == []


def test_redirect_to_a_host_off_the_allow_list_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", fake_dns("93.184.216.34"))
    transport = RecordingTransport(
        lambda request: httpx.Response(302, headers={"location": "https://evil.example/ctx"})
    )
    settings = Settings(context_cache=tmp_path / "cache", fetch_contexts=True)
    resolver = ContextResolver(settings, client=httpx.Client(transport=transport))
    with pytest.raises(ContextUnavailableError, match="allow-list"):
        resolver.resolve("https://www.w3.org/ctx", source="d")
    assert len(transport.requests) == 1


# -- a real HTTP server on 127.0.0.1 ------------------------------------------------------------


class LocalServer:
    """A threaded http.server whose routes are (status, headers, body) and which counts hits."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.hits: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits.append(self.path)
                status, headers, body = server.routes.get(self.path, (404, {}, b""))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        class QuietServer(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # the resolver hangs up on oversized bodies on purpose

        self.httpd = QuietServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def serve(self, path: str, body: bytes, *, status: int = 200, **headers: str) -> str:
        self.routes[path] = (status, {k.replace("_", "-"): v for k, v in headers.items()}, body)
        return self.base + path


@pytest.fixture
def server() -> Iterator[LocalServer]:
    local = LocalServer()
    local.thread.start()
    yield local
    local.httpd.shutdown()
    local.httpd.server_close()


def loopback_settings(tmp_path: Path) -> Settings:
    return Settings(
        context_cache=tmp_path / "cache",
        fetch_contexts=True,
        context_hosts=("127.0.0.1",),
        fetch_timeout=5.0,
    )


def test_real_fetch_follows_a_redirect_and_writes_the_cache(
    tmp_path: Path, server: LocalServer
) -> None:
    body = json.dumps({"@context": {"name": "https://schema.org/name"}}).encode()
    target = server.serve("/ctx.jsonld", body, content_type="application/ld+json")
    url = server.serve("/old", b"", status=301, location="/ctx.jsonld")
    settings = loopback_settings(tmp_path)
    resolver = ContextResolver(settings, allow_insecure_loopback_for_tests=True)
    try:
        document = resolver.resolve(url, source="d.jsonld")
        assert document == json.loads(body)
        assert resolver.resolve(url, source="again.jsonld") is document
    finally:
        resolver.close()
    assert server.hits == ["/old", "/ctx.jsonld"]  # fetched once, memoised afterwards
    assert target.endswith("/ctx.jsonld")

    cache = tmp_path / "cache"
    index = json.loads((cache / "index.json").read_text())
    assert (cache / index[url]).read_bytes() == body  # cached under the URL that was asked for
    assert sorted(p.name for p in cache.iterdir()) == sorted(["index.json", index[url]])

    # A later process finds it in the cache without fetching.
    offline = ContextResolver(Settings(context_cache=cache, fetch_contexts=False))
    assert offline.resolve(url, source="d.jsonld") == document
    assert server.hits == ["/old", "/ctx.jsonld"]


def test_real_server_is_refused_without_the_test_knob(tmp_path: Path, server: LocalServer) -> None:
    url = server.serve("/ctx.jsonld", b'{"@context": {}}')
    resolver = ContextResolver(loopback_settings(tmp_path))
    with pytest.raises(ContextUnavailableError, match="https"):
        resolver.resolve(url, source="d")
    https_url = url.replace("http://", "https://")
    with pytest.raises(ContextUnavailableError, match="non-public"):
        resolver.resolve(https_url, source="d")
    assert server.hits == []


def test_redirect_loops_stop_after_the_limit(tmp_path: Path, server: LocalServer) -> None:
    url = server.serve("/loop", b"", status=302, location="/loop")
    resolver = ContextResolver(loopback_settings(tmp_path), allow_insecure_loopback_for_tests=True)
    with pytest.raises(ContextUnavailableError, match="redirects"):
        resolver.resolve(url, source="d")
    resolver.close()
    assert len(server.hits) == contexts.MAX_REDIRECTS + 1


@pytest.mark.parametrize("declare_length", [True, False])
def test_oversized_responses_are_cut_off(
    tmp_path: Path, server: LocalServer, declare_length: bool
) -> None:
    body = b'{"@context": {"x": "' + b"a" * (contexts.MAX_CONTEXT_BYTES + 10) + b'"}}'
    if declare_length:
        url = server.serve("/big", body, content_length=str(len(body)))
    else:  # close-delimited: the cap must hold while streaming
        url = server.serve("/big", body)
    resolver = ContextResolver(loopback_settings(tmp_path), allow_insecure_loopback_for_tests=True)
    with pytest.raises(ContextUnavailableError, match="larger than"):
        resolver.resolve(url, source="d")
    resolver.close()
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize(
    ("body", "problem"), [(b"[1, 2]", "not a JSON object"), (b"<html>", "JSON")]
)
def test_responses_that_are_not_json_objects_are_refused(
    tmp_path: Path, server: LocalServer, body: bytes, problem: str
) -> None:
    url = server.serve("/ctx", body)
    resolver = ContextResolver(loopback_settings(tmp_path), allow_insecure_loopback_for_tests=True)
    with pytest.raises(ContextUnavailableError, match=problem):
        resolver.resolve(url, source="d")
    resolver.close()
    assert not (tmp_path / "cache").exists()


def test_http_errors_are_reported_with_the_status(tmp_path: Path, server: LocalServer) -> None:
    url = server.base + "/missing"
    resolver = ContextResolver(loopback_settings(tmp_path), allow_insecure_loopback_for_tests=True)
    with pytest.raises(ContextUnavailableError, match="404"):
        resolver.resolve(url, source="d")
    resolver.close()


# -- pyld loader and inlining -------------------------------------------------------------------


def test_pyld_loader_hands_out_fresh_copies(tmp_path: Path) -> None:
    directory = write_context_dir(tmp_path / "ctx", {"https://x.test/c": {"@context": {"a": 1}}})
    resolver = ContextResolver(Settings(contexts=(directory,), context_cache=tmp_path / "cache"))
    load = resolver.pyld_loader("d.jsonld")
    remote = load("https://x.test/c", {})
    assert remote["documentUrl"] == "https://x.test/c"
    assert json.loads(remote["document"]) == {"@context": {"a": 1}}
    with pytest.raises(ContextUnavailableError) as caught:
        load("https://x.test/other", {})
    assert caught.value.source == "d.jsonld"


def test_inlining_follows_nested_scoped_and_imported_references(tmp_path: Path) -> None:
    directory = write_context_dir(
        tmp_path / "ctx",
        {
            "https://x.test/outer": {
                "@context": [
                    "inner",  # relative: resolved against the outer context's URL
                    {"Thing": {"@id": "https://x.test/Thing", "@context": "https://x.test/scoped"}},
                ]
            },
            "https://x.test/inner": {"@context": {"@import": "https://x.test/base", "b": "x:b"}},
            "https://x.test/base": {"@context": {"a": "x:a", "b": "x:overridden"}},
            "https://x.test/scoped": {"@context": {"s": "x:s"}},
        },
    )
    resolver = ContextResolver(Settings(contexts=(directory,), context_cache=tmp_path / "cache"))
    inlined = resolver.inline_context(["https://x.test/outer", {"local": "x:l"}], source="d")
    assert inlined == [
        {"a": "x:a", "b": "x:b"},
        {"Thing": {"@id": "https://x.test/Thing", "@context": {"s": "x:s"}}},
        {"local": "x:l"},
    ]
    # Memoised per URL: the same object comes back for the next document.
    again = resolver.inline_context("https://x.test/outer", source="e")
    assert again is resolver.inline_context("https://x.test/outer", source="f")


@pytest.mark.parametrize(
    ("value", "url", "problem"),
    [
        ("contexts/local.jsonld", "contexts/local.jsonld", "relative"),
        ("file:///etc/passwd", "file:///etc/passwd", "http"),
        ("https://x.test/self", "https://x.test/self", "includes itself"),
    ],
)
def test_inlining_refuses_unresolvable_references(
    tmp_path: Path, value: str, url: str, problem: str
) -> None:
    directory = write_context_dir(
        tmp_path / "ctx",
        {"https://x.test/self": {"@context": {"T": {"@id": "x:T", "@context": "self"}}}},
    )
    resolver = ContextResolver(Settings(contexts=(directory,), context_cache=tmp_path / "cache"))
    with pytest.raises(ContextUnavailableError, match=problem) as caught:
        resolver.inline_context(value, source="d.jsonld")
    assert caught.value.url == url
    assert caught.value.source == "d.jsonld"
