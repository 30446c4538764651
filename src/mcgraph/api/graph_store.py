"""SPARQL 1.1 Graph Store HTTP Protocol at ``/data``.

A graph is named indirectly (``/data?graph=IRI``, ``/data?default``) or directly (the URL
``/data/<path>`` is the graph's IRI). ``?default`` is the store's own default graph (SPARQL
Update's DEFAULT), one part of the union that queries see.

GET and HEAD read through the query workers (a CONSTRUCT over that one graph), so a read is
capped and stoppable like any query. PUT replaces a graph, POST merges into it, and POST to
``/data`` itself creates a graph named below ``/data`` (201 with its Location); DELETE drops
it. Uploads are Turtle, N-Triples, RDF/XML or JSON-LD (or a multipart/form-data POST of them),
read by :func:`mcgraph.documents.read_document`, so its size, literal and DTD checks apply before
any parser. Every write needs the token and is one atomic SPARQL update under the write lock,
followed by a new checkpoint. Writes bypass validated ingestion: an administrator's tool.
"""

from __future__ import annotations

import email.parser
import email.policy
import uuid

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response

from mcgraph.api import negotiation
from mcgraph.api.context import ServiceContext
from mcgraph.api.deps import Context, Writer
from mcgraph.api.negotiation import RDF, Body, Params, bad_request, iri
from mcgraph.api.problems import ApiError
from mcgraph.documents import read_document
from mcgraph.store import protect_durations
from mcgraph.store.workers import QueryJob

router = APIRouter(tags=["Graph Store"])

#: the store's default graph, as QueryJob names it
DEFAULT = ""
#: every triple of the job's default graph, which is set to the one graph asked for
GRAPH_QUERY = "CONSTRUCT WHERE { ?s ?p ?o }"
UPLOADS = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/n-triples": "ntriples",
    "application/rdf+xml": "rdfxml",
    "application/ld+json": "jsonld",
}
PATHS = ("/data", "/data/{path:path}")


def _store_url(request: Request) -> str:
    """The request URL without its query, percent-encoding kept as sent."""
    raw = request.scope.get("raw_path") or request.scope["path"].encode()
    return str(request.url.replace(path=raw.decode("latin-1"), query="", fragment=""))


def _target(request: Request, path: str | None) -> str | None:
    """The graph named: an IRI, DEFAULT, or None when the request names the store itself."""
    params = Params.of(request.scope["query_string"])
    graph = params.one("graph")
    if path:
        if graph is not None or "default" in params:
            raise bad_request("a graph URL takes no ?graph or ?default")
        return iri(_store_url(request), "the graph URL")
    if graph is not None and "default" in params:
        raise bad_request("name one graph: ?graph=IRI or ?default, not both")
    if "default" in params:
        return DEFAULT
    return None if graph is None else iri(graph, "graph")


def _named(request: Request, path: str | None) -> str:
    graph = _target(request, path)
    if graph is None:
        raise bad_request("name a graph: ?graph=IRI, ?default, or the URL /data/<path>")
    return graph


def _exists(context: ServiceContext, graph: str) -> bool:
    return graph == DEFAULT or context.service.repository.public.has_graph(graph)


def _not_found(graph: str) -> ApiError:
    return ApiError(404, "not-found", f"there is no graph {graph}")


@router.api_route(PATHS[0], methods=["GET", "HEAD"], name="graph_store")
@router.api_route(PATHS[1], methods=["GET", "HEAD"])
def read(request: Request, context: Context, path: str | None = None) -> Response:
    """The graph in the negotiated RDF format (HEAD: its headers); 404 if there is none."""
    graph = _named(request, path)
    fmt = negotiation.choose(request.headers.get("accept"), RDF)
    if fmt is None:
        raise negotiation.not_acceptable(RDF)
    if not _exists(context, graph):
        raise _not_found(graph)
    headers = {"Vary": "Accept", "ETag": context.etag}
    if request.method == "HEAD":
        return Response(media_type=fmt.content_type, headers=headers)
    answer = context.executor.run(
        QueryJob(GRAPH_QUERY, rdf_format=fmt.name, default_graphs=(graph,), named_graphs=())
    )
    return Response(answer.body, media_type=fmt.content_type, headers=headers)


@router.put(PATHS[0])
@router.put(PATHS[1])
def replace(request: Request, context: Writer, body: Body, path: str | None = None) -> Response:
    """Replace the graph with the body: 201 if it is new, else 204."""
    graph = _named(request, path)
    triples = _upload(request, body, context)
    with context.write_lock:
        existed = _exists(context, graph)
        _write(context, graph, triples, replace=True)
        context.after_write()
    return Response(status_code=204 if existed else 201)


@router.post(PATHS[0])
@router.post(PATHS[1])
def merge(request: Request, context: Writer, body: Body, path: str | None = None) -> Response:
    """Add the body to the graph (201 if that creates it, else 204); to ``/data`` itself,
    create a new graph and answer 201 with its IRI in Location."""
    graph = _target(request, path)
    location = None
    if graph is None:
        graph = location = f"{_store_url(request).rstrip('/')}/{uuid.uuid4().hex}"
    triples = _upload(request, body, context)
    with context.write_lock:
        existed = _exists(context, graph)
        _write(context, graph, triples, replace=False)
        context.after_write()
    if existed:
        return Response(status_code=204)
    return Response(status_code=201, headers={"Location": location} if location else None)


@router.delete(PATHS[0])
@router.delete(PATHS[1])
def drop(request: Request, context: Writer, path: str | None = None) -> Response:
    """Drop the graph (the default graph is emptied); 404 if there is none."""
    graph = _named(request, path)
    with context.write_lock:
        if not _exists(context, graph):
            raise _not_found(graph)
        operation = "CLEAR DEFAULT" if graph == DEFAULT else f"DROP GRAPH {ox.NamedNode(graph)}"
        context.service.repository.public.update(operation)
        context.after_write()
    return Response(status_code=204)


def _upload(request: Request, body: bytes, context: ServiceContext) -> list[ox.Triple]:
    """The triples of the request body (every part of a multipart POST), read safely."""
    media, charset = negotiation.media_type(request.headers.get("content-type"))
    if media == "multipart/form-data" and request.method == "POST":
        parts = _parts(request.headers["content-type"], body)
    else:
        parts = [(media, charset, body)]
    triples: list[ox.Triple] = []
    for number, (part_media, part_charset, data) in enumerate(parts, start=1):
        fmt = UPLOADS.get(part_media)
        if fmt is None:
            raise ApiError(
                415,
                "unsupported-media-type",
                f"a graph is sent as {', '.join(UPLOADS)}, not {part_media or 'untyped data'}",
            )
        negotiation.check_charset(part_charset)
        source = "the request body" if len(parts) == 1 else f"part {number} of the request body"
        document = read_document(
            data,
            source=source,
            format=fmt,
            settings=context.settings,
            resolver=context.service.resolver,
        )
        if any(not isinstance(quad.graph_name, ox.DefaultGraph) for quad in document.quads):
            raise bad_request(f"{source} holds named graphs; a graph upload holds one graph")
        triples.extend(quad.triple for quad in document.quads)
    return triples


def _parts(content_type: str, body: bytes) -> list[tuple[str, str | None, bytes]]:
    """``(media type, charset, bytes)`` of each part of a multipart/form-data body."""
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    message = parser.parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise bad_request("a multipart/form-data body that does not parse as one")
    parts = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            raise bad_request("a multipart part without a body")
        charset = part.get_content_charset()
        parts.append((part.get_content_type(), charset.lower() if charset else None, payload))
    if not parts:
        raise bad_request("a multipart/form-data body without parts")
    return parts


def _write(context: ServiceContext, graph: str, triples: list[ox.Triple], *, replace: bool) -> None:
    """One atomic update: drop the graph (PUT), create it, insert the triples. The text is
    written by pyoxigraph from parsed terms and a validated IRI: nothing of the client's
    bytes reaches the update parser unparsed."""
    written = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    data = protect_durations(bytes(written)).decode("utf-8")
    if graph == DEFAULT:
        operations = ["CLEAR DEFAULT"] if replace else []
        operations.append(f"INSERT DATA {{\n{data}}}")
    else:
        name = ox.NamedNode(graph)
        operations = [f"DROP SILENT GRAPH {name}"] if replace else []
        operations.append(f"CREATE SILENT GRAPH {name}")
        operations.append(f"INSERT DATA {{ GRAPH {name} {{\n{data}}} }}")
    context.service.repository.public.update(" ;\n".join(operations))
