"""JSON-LD context resolution: local context directories, our own cache, and allow-listed fetches.

A context directory holds ``index.json`` (context URL -> file name beside it). Lookups search
``settings.contexts`` in order, then ``settings.context_cache``. Only when
``settings.fetch_contexts`` is set is a missing context fetched, over HTTPS from an allow-listed
host that resolves to public addresses only, and written into the cache. pyld's own document
loader is never used: with ``requests`` installed it fetches any URL it is given.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import socket
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from mcgraph.errors import ConfigurationError, ContextUnavailableError
from mcgraph.netguard import is_public as _is_public
from mcgraph.settings import Settings

__all__ = ["ContextResolver", "PyldLoader"]

#: Largest context accepted from the network, enforced while streaming the body.
MAX_CONTEXT_BYTES = 2 * 1024 * 1024
#: Redirects followed by hand, each one checked like the original URL.
MAX_REDIRECTS = 3

#: pyld's ``documentLoader``: ``(url, options) -> remote document``.
PyldLoader = Callable[[str, Any], dict[str, Any]]

_ACCEPT = "application/ld+json, application/json;q=0.9"


class ContextResolver:
    """Finds JSON-LD context documents; each is parsed once per resolver (one per process)."""

    def __init__(
        self,
        settings: Settings,
        *,
        client: httpx.Client | None = None,
        allow_insecure_loopback_for_tests: bool = False,
    ) -> None:
        """``client`` is used for fetches when given (and then not closed by :meth:`close`).

        ``allow_insecure_loopback_for_tests`` lets a test fetch over plain ``http://`` from a
        loopback address (a local ``http.server``); every other check still applies. It is
        deliberately not a ``Settings`` field: no deployment should ever set it.
        """
        self._settings = settings
        self._client = client
        self._owns_client = client is None
        self._loopback_for_tests = allow_insecure_loopback_for_tests
        self._lock = threading.Lock()
        self._indexes: dict[Path, dict[str, str]] = {}
        self._documents: dict[str, dict[str, Any]] = {}
        self._inlined: dict[str, Any] = {}

    def close(self) -> None:
        """Close the HTTP client this resolver created (an injected client is left open)."""
        if self._owns_client and self._client is not None:
            self._client.close()
            self._client = None

    # -- lookup --------------------------------------------------------------------------------

    def resolve(self, url: str, *, source: str) -> dict[str, Any]:
        """The context document for ``url`` (a JSON object with ``@context``); do not mutate it.

        :raises ContextUnavailableError: not in any context directory and not fetchable.
        :raises ConfigurationError: a context directory or the cache is broken.
        """
        document = self._documents.get(url)
        if document is None:
            with self._lock:
                document = self._documents.get(url)
                if document is None:
                    document = self._load(url, source)
                    self._documents[url] = document
        return document

    def pyld_loader(self, source: str) -> PyldLoader:
        """A pyld ``documentLoader`` backed by :meth:`resolve` (errors name ``source``)."""

        def load(url: str, options: Any = None) -> dict[str, Any]:
            # pyld rewrites contexts in place, so it gets a fresh copy (as JSON text it parses).
            document = json.dumps(self.resolve(url, source=source))
            return {
                "contentType": "application/ld+json",
                "contextUrl": None,
                "documentUrl": url,
                "document": document,
            }

        return load

    def inline_context(self, value: Any, *, source: str) -> Any:
        """``value`` (an ``@context`` value) with every context URL replaced by that context.

        References inside fetched contexts (scoped contexts, ``@import``, nested lists) are
        replaced too, relative ones resolved against the referring context's URL. The result
        for each URL is memoised and shared: callers must not mutate what this returns.

        :raises ContextUnavailableError: a relative or non-http(s) reference in the document, a
            missing context, or a context that includes itself.
        """
        return self._inline(value, source, None, ())

    def _inline(self, value: Any, source: str, base: str | None, chain: tuple[str, ...]) -> Any:
        if isinstance(value, str):
            return self._inline_url(_absolute(value, base, source), source, chain)
        if isinstance(value, list):
            items: list[Any] = []
            for item in value:
                inlined = self._inline(item, source, base, chain)
                # A referenced context that is itself a list is spliced in: same meaning.
                if isinstance(item, str) and isinstance(inlined, list):
                    items.extend(inlined)
                else:
                    items.append(inlined)
            return items
        if isinstance(value, dict):
            return self._inline_definitions(value, source, base, chain)
        return value

    def _inline_url(self, url: str, source: str, chain: tuple[str, ...]) -> Any:
        if url in self._inlined:
            return self._inlined[url]
        if url in chain:
            raise ContextUnavailableError(source, url, "the context includes itself")
        document = self.resolve(url, source=source)
        if "@context" not in document:
            raise ContextUnavailableError(source, url, "the document has no @context entry")
        inlined = self._inline(document["@context"], source, url, (*chain, url))
        self._inlined[url] = inlined
        return inlined

    def _inline_definitions(
        self, context: dict[str, Any], source: str, base: str | None, chain: tuple[str, ...]
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for term, definition in context.items():
            if isinstance(definition, dict) and "@context" in definition:
                scoped = self._inline(definition["@context"], source, base, chain)
                definition = {**definition, "@context": scoped}
            result[term] = definition
        imported = result.pop("@import", None)
        if not isinstance(imported, str):
            if imported is not None:
                result["@import"] = imported  # not a URL: leave it for the parser to reject
            return result
        url = _absolute(imported, base, source)
        base_context = self._inline_url(url, source, chain)
        if not isinstance(base_context, dict):
            raise ContextUnavailableError(source, url, "an @import must name a single context")
        # JSON-LD 1.1 @import: the importing context's own entries override the imported ones.
        return {**base_context, **result}

    def _load(self, url: str, source: str) -> dict[str, Any]:
        for directory in (*self._settings.contexts, self._settings.context_cache):
            name = self._index(directory).get(url)
            if name is not None:
                return _read_context_file(directory, name)
        if not self._settings.fetch_contexts:
            raise ContextUnavailableError(
                source, url, "it is in no context directory and fetching contexts is disabled"
            )
        body = self._fetch(url, source)
        document = _parse_context(body, source, url)
        self._store(url, body)
        return document

    def _index(self, directory: Path) -> dict[str, str]:
        index = self._indexes.get(directory)
        if index is None:
            index = _read_index(directory, required=directory != self._settings.context_cache)
            self._indexes[directory] = index
        return index

    # -- fetching ------------------------------------------------------------------------------

    def _fetch(self, url: str, source: str) -> bytes:
        """GET ``url``, following at most MAX_REDIRECTS redirects, each target checked again."""
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            pinned, host_header, host = self._checked_target(current, source, url)
            try:
                with self._http().stream(
                    "GET",
                    pinned,
                    headers={"Host": host_header, "Accept": _ACCEPT},
                    extensions={"sni_hostname": host},
                    timeout=self._settings.fetch_timeout,
                    follow_redirects=False,
                ) as response:
                    if response.is_redirect:
                        current = urljoin(current, response.headers.get("location", ""))
                        continue
                    if response.status_code != httpx.codes.OK:
                        raise ContextUnavailableError(
                            source, url, f"{current} answered HTTP {response.status_code}"
                        )
                    return _read_capped(response, source, url)
            except (httpx.HTTPError, httpx.InvalidURL) as error:
                raise ContextUnavailableError(
                    source, url, f"fetching {current} failed: {error}"
                ) from None
        raise ContextUnavailableError(source, url, f"more than {MAX_REDIRECTS} redirects")

    def _checked_target(self, target: str, source: str, url: str) -> tuple[str, str, str]:
        """Refuse ``target`` unless https, allow-listed and public; pin it to a vetted address.

        Returns the URL to request (host replaced by the vetted IP, so a second DNS answer
        cannot differ), the Host header, and the host name for TLS SNI and certificate checks.
        """
        parts = urlsplit(target)
        insecure = self._loopback_for_tests and parts.scheme == "http"  # loopback only, below
        if parts.scheme != "https" and not insecure:
            raise ContextUnavailableError(source, url, f"{target} is not an https URL")
        host = (parts.hostname or "").lower()
        if host not in {h.lower() for h in self._settings.context_hosts}:
            raise ContextUnavailableError(
                source, url, f"host {host or '(none)'} is not in the context host allow-list"
            )
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, ValueError) as error:
            raise ContextUnavailableError(source, url, f"cannot resolve {host}: {error}") from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        for address in addresses:
            if not (_is_public(address) or (self._loopback_for_tests and address.is_loopback)):
                raise ContextUnavailableError(
                    source, url, f"host {host} resolves to non-public address {address}"
                )
        if not addresses:
            raise ContextUnavailableError(source, url, f"host {host} has no address")
        if insecure and not all(address.is_loopback for address in addresses):
            raise ContextUnavailableError(source, url, f"{target} is not an https URL")
        vetted = addresses[0]
        ip_text = f"[{vetted}]" if vetted.version == 6 else str(vetted)
        path = parts.path or "/"
        query = f"?{parts.query}" if parts.query else ""
        host_header = parts.netloc.rpartition("@")[2]  # never send userinfo along
        return f"{parts.scheme}://{ip_text}:{port}{path}{query}", host_header, host

    def _http(self) -> httpx.Client:
        if self._client is None:
            # trust_env=False: proxies and certificates come from settings, not the environment.
            self._client = httpx.Client(follow_redirects=False, trust_env=False)
        return self._client

    def _store(self, url: str, body: bytes) -> None:
        """Write the fetched context into the cache: file first, then the index, each atomic."""
        cache = self._settings.context_cache
        name = hashlib.sha256(url.encode()).hexdigest()[:24] + ".jsonld"
        try:
            cache.mkdir(parents=True, exist_ok=True)
            _write_atomically(cache / name, body)
            index = _read_index(cache, required=False)  # another process may have added entries
            index[url] = name
            text = json.dumps(index, indent=2, sort_keys=True) + "\n"
            _write_atomically(cache / "index.json", text.encode())
        except OSError as error:
            raise ConfigurationError(
                f"cannot write the context cache {cache}: {error.strerror or error}"
            ) from None
        self._indexes[cache] = index


def _absolute(reference: str, base: str | None, source: str) -> str:
    """An absolute http(s) context URL; relative ones only resolve inside fetched contexts."""
    url = urljoin(base, reference) if base is not None else reference
    scheme = urlsplit(url).scheme
    if scheme not in {"http", "https"}:
        if not scheme:
            raise ContextUnavailableError(
                source, reference, "relative context references cannot be resolved"
            )
        raise ContextUnavailableError(
            source, reference, "only http and https context URLs are supported"
        )
    return url


def _read_capped(response: httpx.Response, source: str, url: str) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_CONTEXT_BYTES:
        raise ContextUnavailableError(source, url, f"larger than {MAX_CONTEXT_BYTES} bytes")
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > MAX_CONTEXT_BYTES:
            raise ContextUnavailableError(source, url, f"larger than {MAX_CONTEXT_BYTES} bytes")
    return bytes(body)


def _parse_context(body: bytes, source: str, url: str) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise ContextUnavailableError(source, url, "the response is not JSON") from None
    if not isinstance(document, dict):
        raise ContextUnavailableError(source, url, "the response is not a JSON object")
    return document


def _read_index(directory: Path, *, required: bool) -> dict[str, str]:
    path = directory / "index.json"
    try:
        index = json.loads(path.read_bytes())
    except FileNotFoundError:
        if required:
            raise ConfigurationError(f"context directory {directory} has no index.json") from None
        return {}
    except OSError as error:
        raise ConfigurationError(f"cannot read {path}: {error.strerror or error}") from None
    except ValueError as error:
        raise ConfigurationError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(index, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in index.items()
    ):
        raise ConfigurationError(f"{path} must map context URLs to file names")
    return index


def _read_context_file(directory: Path, name: str) -> dict[str, Any]:
    # Index entries are plain file names beside index.json, never paths out of the directory.
    if Path(name).name != name or name in {"", ".", ".."}:
        raise ConfigurationError(f"{directory / 'index.json'} names {name!r}, not a file name")
    path = directory / name
    try:
        document = json.loads(path.read_bytes())
    except OSError as error:
        raise ConfigurationError(f"cannot read context file {path}: {error.strerror}") from None
    except (ValueError, RecursionError) as error:
        raise ConfigurationError(f"context file {path} is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise ConfigurationError(f"context file {path} is not a JSON object")
    return document


def _write_atomically(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same directory and os.replace, so readers never see
    a half-written file."""
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed before the replace
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except OSError:
        Path(handle.name).unlink(missing_ok=True)
        raise
