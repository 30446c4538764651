"""Safe HTTP for harvesting: http(s) only, every host (and every redirect target) resolved and
checked — no loopback, private, link-local or cloud-metadata address unless the source allows
private ones (metadata never) — and the connection pinned to the address checked; responses
capped in size while streaming; retries with exponential backoff on timeouts, connection
failures and 5xx; conditional GETs (ETag / Last-Modified); URLs and headers redacted in logs.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx

from mcgraph.errors import McgraphError
from mcgraph.harvest.sources import Source
from mcgraph.netguard import METADATA_HOSTS, is_metadata, is_public, resolve_addresses
from mcgraph.settings import Settings

__all__ = ["FetchError", "Fetcher", "RefusedTargetError", "Response", "redact", "redact_headers"]

log = logging.getLogger("mcgraph.harvest")
MAX_REDIRECTS = 5
_SECRET_PARAM = re.compile(
    r"(token|key|secret|password|passwd|pwd|auth|signature|sig|session|credential)", re.I
)
_SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie"}


class FetchError(McgraphError):
    """A request to a source failed for good (after retries, or a non-retryable answer)."""

    def __init__(self, url: str, problem: str, status: int | None = None) -> None:
        self.url = redact(url)
        self.status = status
        super().__init__(f"{self.url}: {problem}")


class RefusedTargetError(FetchError):
    """The URL is not http(s), or its host is (or resolves to) an address refused here."""


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    body: bytes
    etag: str | None
    last_modified: str | None
    content_type: str

    @property
    def not_modified(self) -> bool:
        return self.status == httpx.codes.NOT_MODIFIED


def redact(url: str) -> str:
    """``url`` fit for a log: no user info, and the values of token-like query parameters
    (``token``, ``api_key``, ``sig``...) replaced by ``***``."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rpartition("@")[2]
        query = urlencode(
            [
                (k, "***" if _SECRET_PARAM.search(k) else v)
                for k, v in parse_qsl(parts.query, keep_blank_values=True)
            ],
            safe="*",
        )
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return "(unparseable URL)"


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers fit for a log: credentials (Authorization, cookies, API keys) masked."""
    return {
        k: "***" if k.lower() in _SECRET_HEADERS or _SECRET_PARAM.search(k) else v
        for k, v in headers.items()
    }


class Fetcher:
    """Requests for one source; ``close`` when done (an injected client is left open)."""

    def __init__(
        self, settings: Settings, source: Source, *, client: httpx.Client | None = None
    ) -> None:
        self.settings = settings
        self.source = source
        self._headers = source.headers()
        self._client = client or httpx.Client(follow_redirects=False, trust_env=False)
        self._owns_client = client is None
        #: bytes received in bodies (after decompression), for reports and benchmarks
        self.bytes_received = 0
        self.requests = 0

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def get(
        self,
        url: str,
        *,
        accept: str,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Response:
        """GET ``url``; with validators, a 304 answer is a Response with ``not_modified``."""
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return self.request("GET", url, headers=headers)

    def post_form(self, url: str, form: Mapping[str, str], *, accept: str) -> Response:
        """POST a form (a SPARQL query: the protocol's POST form, no URL length limit)."""
        return self.request("POST", url, headers={"Accept": accept}, form=form)

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        form: Mapping[str, str] | None = None,
    ) -> Response:
        """One request with redirects (each target checked again) and retries."""
        attempts = max(0, self.settings.harvest_retries) + 1
        for attempt in range(attempts):
            try:
                return self._follow(method, url, headers, form)
            except _RetryableError as error:
                if attempt + 1 >= attempts:
                    raise FetchError(url, f"{error} (after {attempts} attempts)") from None
                delay = self.settings.harvest_backoff * (2**attempt)
                log.info("retrying %s in %.2fs: %s", redact(url), delay, error)
                time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _follow(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        form: Mapping[str, str] | None,
    ) -> Response:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            pinned, host_header, host = checked_target(current, self.source.allow_private)
            sent = {**self._headers, **headers, "Host": host_header}
            log.debug("%s %s %s", method, redact(current), redact_headers(sent))
            self.requests += 1
            try:
                with self._client.stream(
                    method,
                    pinned,
                    headers=sent,
                    data=dict(form) if form is not None else None,
                    extensions={"sni_hostname": host},
                    timeout=self.settings.harvest_timeout,
                    follow_redirects=False,
                ) as response:
                    if response.is_redirect and "location" in response.headers:
                        current = urljoin(current, response.headers["location"])
                        method, form = (
                            ("GET", None)
                            if response.status_code == 303
                            else (
                                method,
                                form,
                            )
                        )
                        continue
                    if response.status_code >= 500:
                        raise _RetryableError(f"HTTP {response.status_code}")
                    if response.status_code >= 400:
                        raise FetchError(
                            current, f"HTTP {response.status_code}", response.status_code
                        )
                    body = b"" if response.status_code == 304 else self._read(response, current)
                    return Response(
                        current,
                        response.status_code,
                        body,
                        response.headers.get("etag"),
                        response.headers.get("last-modified"),
                        response.headers.get("content-type", ""),
                    )
            except (httpx.TimeoutException, httpx.TransportError) as error:
                raise _RetryableError(f"{type(error).__name__}: {error}") from None
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")

    def _read(self, response: httpx.Response, url: str) -> bytes:
        cap = self.settings.harvest_max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise FetchError(url, f"response larger than {cap} bytes")
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > cap:
                raise FetchError(url, f"response larger than {cap} bytes")
        self.bytes_received += len(body)
        return bytes(body)


class _RetryableError(Exception):
    """A failure worth another attempt: timeout, connection error, 5xx."""


def checked_target(url: str, allow_private: bool) -> tuple[str, str, str]:
    """Refuse ``url`` unless http(s) to an allowed address; pin it to the address checked.

    Returns the URL to request (host replaced by the vetted IP), the Host header, and the host
    name (for TLS SNI and certificate checks)."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise RefusedTargetError(url, "not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise RefusedTargetError(url, "only http and https URLs are harvested")
    host = (parts.hostname or "").lower()
    if not host:
        raise RefusedTargetError(url, "the URL names no host")
    if host.rstrip(".") in METADATA_HOSTS:
        raise RefusedTargetError(url, f"{host} is a cloud metadata service")
    try:
        addresses = resolve_addresses(host, port)
    except (OSError, ValueError) as error:
        raise _RetryableError(f"cannot resolve {host}: {error}") from None
    if not addresses:
        raise RefusedTargetError(url, f"{host} has no address")
    for address in addresses:
        if is_metadata(address):
            raise RefusedTargetError(url, f"{host} resolves to metadata address {address}")
        if not (is_public(address) or allow_private):
            raise RefusedTargetError(
                url,
                f"{host} resolves to non-public address {address} "
                "(allow_private is not set for this source)",
            )
    vetted = addresses[0]
    ip_text = f"[{vetted}]" if vetted.version == 6 else str(vetted)
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    host_header = parts.netloc.rpartition("@")[2]  # never send user info along
    return f"{parts.scheme}://{ip_text}:{port}{path}{query}", host_header, host
