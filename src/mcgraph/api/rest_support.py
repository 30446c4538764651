"""What the REST routes share: running named queries in the query workers, short ids and
cursors, content negotiation, and conditional GET (ETag / Last-Modified → 304) for every GET.

Every query the API runs is a ``queries/*.rq`` file, bound through :func:`mcgraph.queries.bind`
(typed; a bad value is a 400 naming the parameter) and run by the killable query workers.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email.utils
import json
import re
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from mcgraph import queries
from mcgraph.api import negotiation
from mcgraph.api.context import ServiceContext
from mcgraph.api.negotiation import Format
from mcgraph.api.problems import ApiError
from mcgraph.api.rest_models import Problem
from mcgraph.store import Term
from mcgraph.store.workers import QueryJob

JSON = Format("json", "application/json")
HTML = Format("html", "text/html", ("application/xhtml+xml",))
JSONLD = next(f for f in negotiation.RDF if f.name == "jsonld")
TURTLE = next(f for f in negotiation.RDF if f.name == "turtle")
#: what a JSON answer with an RDF alternative offers: JSON first (the default), then RDF
JSON_OR_RDF: tuple[Format, ...] = (JSON, JSONLD, TURTLE)
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
EQF = "http://data.europa.eu/snb/eqf/"
_ALPHA3 = re.compile(r"^[A-Za-z]{3}$")
_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Cell:
    """One value of a SPARQL JSON result row."""

    value: str
    kind: str  # uri | literal | bnode | triple
    lang: str | None = None
    datatype: str | None = None


Row = dict[str, Cell]


# -- queries ------------------------------------------------------------------------------------


def bindings(name: str, params: Mapping[str, str | None]) -> dict[str, Term]:
    """Typed bindings for a named query; parameters given as None are left out."""
    given = {key: value for key, value in params.items() if value is not None}
    return queries.bind(queries.named_query(name), given)


def select(
    context: ServiceContext,
    name: str,
    params: Mapping[str, str | None],
    *,
    graphs: tuple[str, ...] | None = None,
) -> list[Row]:
    """Rows of a named SELECT query, run in a query worker."""
    job = QueryJob(
        queries.named_query(name).text,
        result_format="json",
        bindings=bindings(name, params),
        default_graphs=graphs,
    )
    return parse_solutions(context.executor.run(job).body)


def run_text(
    context: ServiceContext,
    text: str,
    binding: Mapping[str, Term],
    *,
    graphs: tuple[str, ...] | None = None,
) -> list[Row]:
    """Rows of a SELECT that mcgraph itself compiled (never from request text)."""
    job = QueryJob(text, result_format="json", bindings=dict(binding), default_graphs=graphs)
    return parse_solutions(context.executor.run(job).body)


def construct(
    context: ServiceContext, name: str, params: Mapping[str, str | None], fmt: Format
) -> bytes:
    """A named CONSTRUCT query's graph, serialised as ``fmt``."""
    job = QueryJob(
        queries.named_query(name).text, rdf_format=fmt.name, bindings=bindings(name, params)
    )
    return context.executor.run(job).body


def parse_solutions(body: bytes) -> list[Row]:
    """SPARQL 1.1 Query Results JSON → rows of cells (unbound variables left out)."""
    document = json.loads(body)
    rows = []
    for binding in document.get("results", {}).get("bindings", []):
        rows.append(
            {
                name: Cell(
                    str(term.get("value", "")),
                    str(term.get("type", "literal")),
                    term.get("xml:lang"),
                    term.get("datatype"),
                )
                for name, term in binding.items()
            }
        )
    return rows


def preferred(cells: Iterable[Cell], lang: str = "en") -> str | None:
    """The text in ``lang`` if there is one, else the first in language order."""
    ordered = sorted(cells, key=lambda c: (c.lang != lang, c.lang or "", c.value))
    return ordered[0].value if ordered else None


def by_language(cells: Iterable[Cell]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for cell in sorted(cells, key=lambda c: c.value):
        texts.setdefault(cell.lang or "", cell.value)
    return texts


def country_code(iri: str | None) -> str | None:
    """``DEU`` for the EU country authority IRI, else the IRI itself."""
    if iri is None:
        return None
    return iri.removeprefix(COUNTRY) if iri.startswith(COUNTRY) else iri


def country_iri(value: str) -> str:
    """A country given as ISO 3166 alpha-3 (any case) or as an IRI → the IRI."""
    return COUNTRY + value.upper() if _ALPHA3.match(value) else value


def eqf_number(iri: str | None) -> int | None:
    if iri is None or not iri.startswith(EQF):
        return None
    number = iri.removeprefix(EQF)
    return int(number) if number.isdigit() else None


# -- ids and cursors ----------------------------------------------------------------------------


def key_of(iri: str) -> str:
    """The short id of an IRI: its UTF-8 bytes in unpadded base64url (reversible, URL-safe)."""
    return base64.urlsafe_b64encode(iri.encode("utf-8")).rstrip(b"=").decode("ascii")


def iri_of_key(key: str) -> str | None:
    """The IRI a short id stands for, or None when it is not one."""
    if not _KEY.match(key):
        return None
    try:
        text = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return text if ":" in text else None


def resource_id(value: str) -> str | None:
    """A path id: an IRI (URL-encoded in the path; it has a ':') or a short id."""
    return value if ":" in value else iri_of_key(value)


def decode_cursor(cursor: str) -> str:
    """A cursor is the short id of the last IRI of the previous page."""
    iri = iri_of_key(cursor)
    if iri is None:
        raise ApiError(400, "bad-cursor", f"{cursor!r} is not a cursor this API gave out")
    return iri


# -- negotiation --------------------------------------------------------------------------------


def negotiate(request: Request, offers: Sequence[Format]) -> Format:
    chosen = negotiation.choose(request.headers.get("accept"), offers)
    if chosen is None:
        raise negotiation.not_acceptable(offers)
    return chosen


def rdf_response(body: bytes, fmt: Format, headers: Mapping[str, str] | None = None) -> Response:
    return Response(body, media_type=fmt.content_type, headers=dict(headers or {}))


def not_found(what: str) -> ApiError:
    return ApiError(404, "not-found", what)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem responses a route can give."""
    text = {
        304: "Not modified since the ETag or date the client has",
        400: "A parameter or the body is not valid",
        401: "No bearer token",
        403: "The token is not valid, or writes are disabled",
        404: "Nothing with that id",
        406: "None of the formats in Accept can be given",
        413: "The body is too large or unsafe to read",
        415: "The body's Content-Type is not a format mcgraph reads",
        422: "The document was rejected (the report is in the problem)",
        503: "The query took too long, or every query worker is busy",
    }
    entries: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        if status == 304:
            entries[status] = {"description": text[status]}
        else:
            entries[status] = {
                "model": Problem,
                "description": text[status],
                "content": {"application/problem+json": {}},
            }
    return entries


RDF_CONTENT: dict[str, dict[str, Any]] = {"application/ld+json": {}, "text/turtle": {}}


# -- conditional GET ----------------------------------------------------------------------------


def _etags(header: str) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def not_modified(request: Request, etag: str, modified: dt.datetime) -> bool:
    """RFC 9110 §13.1: If-None-Match (weak comparison) first; else If-Modified-Since."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = _etags(if_none_match)
        return "*" in tags or etag.removeprefix("W/") in tags
    since = request.headers.get("if-modified-since")
    if since is None:
        return False
    try:
        date = email.utils.parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    if date.tzinfo is None:
        date = date.replace(tzinfo=dt.UTC)
    return modified <= date


class CachedRoute(APIRoute):
    """A route whose GET answers carry ETag and Last-Modified (the store's generation: every
    write changes them) and answer a matching If-None-Match / If-Modified-Since with 304,
    before any query runs."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def cached(request: Request) -> Response:
            if request.method != "GET":
                return await handler(request)
            context: ServiceContext = request.app.state.mcgraph
            etag, modified = context.etag, context.last_modified  # before reading: never newer
            validators = {
                "ETag": etag,
                "Last-Modified": email.utils.format_datetime(modified, usegmt=True),
                "Cache-Control": "no-cache",
                "Vary": "Accept",
            }
            if not_modified(request, etag, modified):
                return Response(status_code=304, headers=validators)
            response = await handler(request)
            if response.status_code == 200:
                for name, text in validators.items():
                    response.headers.setdefault(name, text)
            return response

        return cached
