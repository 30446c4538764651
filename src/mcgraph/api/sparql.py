"""SPARQL 1.1 Protocol: queries at ``/sparql``, updates at ``/update``.

``/sparql`` answers GET ``?query=``, form POST and direct POST (``application/sparql-query``),
with ``default-graph-uri``/``named-graph-uri``; without them the default graph is the union of
all graphs. It never updates; with no query it describes itself (SPARQL 1.1 Service
Description). Every query is checked by :mod:`mcgraph.sparql_guard` first and runs in a query
worker over the latest checkpoint. Result formats are negotiated before the query runs, from
its form (the first of SELECT/ASK/CONSTRUCT/DESCRIBE in its text). The handlers are async: a
query costs the server process some 0.1 ms of checks and one hop to a worker and back, with
no thread in between (the SPARQL benchmark's small queries are dominated by such overhead).

``/update`` needs the write token. It changes graphs directly, bypassing validated ingestion:
it is an administrator's tool. ``using-graph-uri``/``using-named-graph-uri`` become USING
clauses of each operation, as the protocol defines them; with USING or WITH in the text too,
the request is refused (SPARQL 1.1 Protocol §2.2.3).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URL

from mcgraph.api import negotiation
from mcgraph.api.context import ServiceContext
from mcgraph.api.deps import Writer, get_context
from mcgraph.api.negotiation import RDF, RESULTS, Body, Format, Params, bad_request, iri
from mcgraph.api.problems import ApiError
from mcgraph.sparql_guard import check_query, check_update, tokens
from mcgraph.store import RDF_FORMATS
from mcgraph.store.workers import QueryJob

router = APIRouter(tags=["SPARQL"])

QUERY_FORMS = {"SELECT": RESULTS, "ASK": RESULTS, "CONSTRUCT": RDF, "DESCRIBE": RDF}
UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "ADD", "MOVE", "COPY"}
SD = "http://www.w3.org/ns/sparql-service-description#"
W3C_FORMATS = "http://www.w3.org/ns/formats/"
DCTERMS = "http://purl.org/dc/terms/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
#: requests longer than this are read and checked in a thread, not in the event loop
INLINE_CHECK_BYTES = 16 * 1024
UNION_DEFAULT = (
    "Without default-graph-uri or named-graph-uri, the default graph is the union of all "
    "graphs in the store (the document graphs and the metadata graph); named graphs are "
    "every graph. The learners' protected store is never reachable."
)


def endpoint(request: Request) -> str:
    """The IRI of the endpoint being asked: the base of relative IRIs in its requests."""
    scope = request.scope
    host = next((value for key, value in scope["headers"] if key == b"host"), None)
    server = tuple(scope["server"]) if scope.get("server") else None
    return _endpoint(scope.get("scheme", "http"), server, scope["path"], host)


@functools.lru_cache(maxsize=256)
def _endpoint(scheme: str, server: tuple[str, int] | None, path: str, host: bytes | None) -> str:
    """Built and checked once per host and path (Starlette's URL, then an IRI check)."""
    headers = [] if host is None else [(b"host", host)]
    scope = {"scheme": scheme, "server": server, "path": path, "headers": headers}
    return iri(str(URL(scope=scope)), "the request URL")


def query_form(text: str) -> str | None:
    """The first keyword after the prologue (SELECT, ASK, ..., or an update's INSERT, ...)."""
    for token in tokens(text):
        word = token.group().upper()
        keyword = token.lastgroup == "word" and ":" not in word and word[0] not in "?$"
        if keyword and word not in ("PREFIX", "BASE"):
            return word
    return None


# -- /sparql ------------------------------------------------------------------------------------


def _query_params(request: Request, body: bytes) -> Params:
    params = Params.of(request.scope["query_string"])
    if request.method == "POST":
        media, charset = negotiation.media_type(request.headers.get("content-type"))
        if media == "application/x-www-form-urlencoded":
            negotiation.check_charset(charset)
            params = params + Params.of(body)
        elif media == "application/sparql-query":
            params = params + Params([("query", negotiation.utf8(body, charset))])
        else:
            hint = "; updates go to /update" if media == "application/sparql-update" else ""
            raise ApiError(
                415,
                "unsupported-media-type",
                f"a query is sent as application/x-www-form-urlencoded or "
                f"application/sparql-query, not {media or 'a body without a type'}{hint}",
            )
    if "update" in params:
        raise bad_request("/sparql performs no updates: send them to /update")
    return params


def _dataset(
    params: Params, default_key: str, named_key: str
) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """The protocol dataset: None, None for the service's own; else both parts (the one not
    given is empty, as the protocol says)."""
    default = tuple(iri(g, default_key) for g in params.all(default_key))
    named = tuple(iri(g, named_key) for g in params.all(named_key))
    if not default and not named:
        return None, None
    return default, named


def _formats(request: Request, params: Params) -> tuple[Format | None, Format | None]:
    """The results format and the RDF format to answer in (None: nothing acceptable)."""
    accept = request.headers.get("accept")
    results, graphs = negotiation.choose(accept, RESULTS), negotiation.choose(accept, RDF)
    wanted = params.one("format")
    if wanted is not None:
        results_named = negotiation.by_name(wanted, RESULTS)
        graphs_named = negotiation.by_name(wanted, RDF)
        if results_named is None and graphs_named is None:
            raise bad_request(f"unknown format {wanted!r}")
        results, graphs = results_named or results, graphs_named or graphs
    return results, graphs


@router.get("/sparql", name="sparql_query")
async def query_get(request: Request) -> Response:
    """A query in ``?query=``, or without one the service description."""
    return await answer(request)


@router.post("/sparql")
async def query_post(request: Request) -> Response:
    """A query as a form (``query=``) or as the body (``application/sparql-query``)."""
    return await answer(request)


async def answer(request: Request) -> Response:
    """The answer to a GET or POST on /sparql (the routes above, and the app's fast path)."""
    return await _answer(request, await request.body() if request.method == "POST" else b"")


async def _answer(request: Request, body: bytes) -> Response:
    """Everything in the event loop: reading the request and checking the query cost
    microseconds, and the worker is awaited, not waited for in a thread (a long query's
    checks go to a thread, so that they hold up no one else)."""
    context = get_context(request)
    if len(body) + len(request.scope["query_string"]) > INLINE_CHECK_BYTES:
        job = await run_in_threadpool(_job, request, context, body)
    else:
        job = _job(request, context, body)
    if isinstance(job, Response):
        return job
    results, graphs, query_job = job
    answer = await context.executor.answer(query_job)
    chosen = graphs if answer.kind == "graph" else results
    if chosen is None:  # the form was not recognised before running: refuse the answer now
        raise negotiation.not_acceptable(RDF if answer.kind == "graph" else RESULTS)
    return Response(answer.body, media_type=chosen.content_type, headers={"Vary": "Accept"})


def _job(
    request: Request, context: ServiceContext, body: bytes
) -> Response | tuple[Format | None, Format | None, QueryJob]:
    """The checked query and the formats to answer in (or the service description)."""
    params = _query_params(request, body)
    text = params.one("query")
    results, graphs = _formats(request, params)
    if text is None:
        if request.method == "POST":
            raise bad_request("no query: send it as query= or as an application/sparql-query body")
        if graphs is None:
            raise negotiation.not_acceptable(RDF)
        return _rdf_response(description(request, context), graphs)
    settings = context.settings
    form = _checked_form(text, settings.max_query_depth, settings.service_allow_list)
    if form in UPDATE_WORDS or form == "WITH":
        raise bad_request("/sparql performs no updates: send them to /update")
    offers = QUERY_FORMS.get(form or "")
    if offers is not None and (results if offers is RESULTS else graphs) is None:
        raise negotiation.not_acceptable(offers)
    default_graphs, named_graphs = _dataset(params, "default-graph-uri", "named-graph-uri")
    job = QueryJob(
        text,
        result_format=(results or RESULTS[0]).name,
        rdf_format=(graphs or RDF[0]).name,
        default_graphs=default_graphs,
        named_graphs=named_graphs,
        base_iri=endpoint(request),
    )
    return results, graphs, job


def _checked_form(text: str, max_depth: int, allowed_services: tuple[str, ...]) -> str | None:
    """The query's form, once :func:`check_query` passes it. A query passed once with the same
    limits passes again: the same texts (shipped queries, dashboards) skip the scan."""
    if len(text) > INLINE_CHECK_BYTES:
        check_query(text, max_depth=max_depth, allowed_services=allowed_services)
        return query_form(text)
    return _checked_short_form(text, max_depth, allowed_services)


@functools.lru_cache(maxsize=256)
def _checked_short_form(text: str, max_depth: int, allowed_services: tuple[str, ...]) -> str | None:
    check_query(text, max_depth=max_depth, allowed_services=allowed_services)
    return query_form(text)


def _rdf_response(triples: Sequence[ox.Triple], fmt: Format) -> Response:
    prefixes = {"sd": SD, "formats": W3C_FORMATS, "dcterms": DCTERMS}
    data = ox.serialize(triples, format=RDF_FORMATS[fmt.name], prefixes=prefixes) or b""
    return Response(bytes(data), media_type=fmt.content_type, headers={"Vary": "Accept"})


def description(request: Request, context: ServiceContext) -> list[ox.Triple]:
    """The SPARQL 1.1 Service Description of /sparql (and of /update beside it)."""
    service = ox.NamedNode(endpoint(request))
    updates = ox.NamedNode(iri(str(request.url_for("sparql_update")), "the update URL"))
    dataset, default_graph = ox.BlankNode(), ox.BlankNode()

    def sd(name: str) -> ox.NamedNode:
        return ox.NamedNode(SD + name)

    a = ox.NamedNode(RDF_TYPE)
    triples = [
        ox.Triple(service, a, sd("Service")),
        ox.Triple(service, sd("endpoint"), service),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")),
        ox.Triple(
            service,
            sd("defaultEntailmentRegime"),
            ox.NamedNode("http://www.w3.org/ns/entailment/Simple"),
        ),
        ox.Triple(service, ox.NamedNode(DCTERMS + "title"), ox.Literal("mcgraph SPARQL endpoint")),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, a, sd("Dataset")),
        ox.Triple(dataset, ox.NamedNode(DCTERMS + "description"), ox.Literal(UNION_DEFAULT)),
        ox.Triple(dataset, sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, a, sd("Graph")),
        ox.Triple(updates, a, sd("Service")),
        ox.Triple(updates, sd("endpoint"), updates),
        ox.Triple(updates, sd("supportedLanguage"), sd("SPARQL11Update")),
    ]
    if context.settings.service_allow_list:
        triples.append(ox.Triple(service, sd("feature"), sd("BasicFederatedQuery")))
    for fmt in (*RESULTS, *RDF):
        triples.append(ox.Triple(service, sd("resultFormat"), ox.NamedNode(W3C_FORMATS + fmt.w3c)))
    return triples


# -- /update ------------------------------------------------------------------------------------


def _update_params(request: Request, body: bytes) -> Params:
    params = Params.of(request.scope["query_string"])
    media, charset = negotiation.media_type(request.headers.get("content-type"))
    if media == "application/x-www-form-urlencoded":
        negotiation.check_charset(charset)
        params = params + Params.of(body)
    elif media == "application/sparql-update":
        params = params + Params([("update", negotiation.utf8(body, charset))])
    else:
        raise ApiError(
            415,
            "unsupported-media-type",
            "an update is sent as application/x-www-form-urlencoded or "
            f"application/sparql-update, not {media or 'a body without a type'}",
        )
    if "query" in params:
        raise bad_request("/update answers no queries: send them to /sparql")
    return params


@router.post("/update", name="sparql_update", status_code=204)
def update(request: Request, context: Writer, body: Body) -> Response:
    """Apply one SPARQL update atomically (write token required); later queries see it."""
    params = _update_params(request, body)
    text = params.one("update")
    if text is None:
        raise bad_request("no update: send it as update= or as an application/sparql-update body")
    check_update(
        text,
        max_depth=context.settings.max_query_depth,
        allowed_sources=context.settings.service_allow_list,
    )
    using, using_named = _dataset(params, "using-graph-uri", "using-named-graph-uri")
    if using is not None and using_named is not None:
        text = with_dataset(text, using, using_named)
    with context.write_lock:
        context.service.repository.public.update(text, base_iri=endpoint(request))
        context.after_write()
    return Response(status_code=204)


def with_dataset(text: str, using: Sequence[str], using_named: Sequence[str]) -> str:
    """``text`` with the protocol's dataset as USING clauses before the WHERE of every
    DELETE/INSERT operation; ``DELETE WHERE {P}`` is spelled ``DELETE {P} USING ... WHERE {P}``.

    The IRIs are validated absolute IRIs, written by pyoxigraph, so the text gains nothing a
    client could not have written itself. USING or WITH in the text conflicts: refused.
    """
    clauses = " ".join(
        [f"USING {ox.NamedNode(g)}" for g in using]
        + [f"USING NAMED {ox.NamedNode(g)}" for g in using_named]
    )
    found = list(tokens(text))
    inserts: list[tuple[int, str]] = []
    depth = 0
    for index, token in enumerate(found):
        kind, word = token.lastgroup, token.group().upper()
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
        elif kind == "word" and depth == 0 and word in ("USING", "WITH"):
            raise bad_request(
                f"the update names its own dataset ({word}) and using-graph-uri or "
                "using-named-graph-uri is given too: use one or the other"
            )
        elif kind == "word" and depth == 0 and word == "WHERE":
            previous = found[index - 1].group().upper() if index else ""
            template = _group(text, found, index + 1) if previous == "DELETE" else ""
            inserts.append((token.start(), f"{template} {clauses} "))
    for position, addition in reversed(inserts):
        text = text[:position] + addition + text[position:]
    return text


def _group(text: str, found: Sequence[re.Match[str]], start: int) -> str:
    """The text of the braced group opening at token ``start``, braces included."""
    if start >= len(found) or found[start].group() != "{":
        raise bad_request("invalid SPARQL update: DELETE WHERE needs a pattern in braces")
    depth = 0
    for token in found[start:]:
        if token.lastgroup == "open":
            depth += 1
        elif token.lastgroup == "close":
            depth -= 1
            if depth == 0:
                return text[found[start].start() : token.end()]
    raise bad_request("invalid SPARQL update: the DELETE WHERE pattern is not closed")
