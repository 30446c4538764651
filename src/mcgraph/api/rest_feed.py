"""The change feed, for portals that harvest this service.

- ``GET /api/catalogue``: a DCAT catalogue of the service's own data (JSON-LD by default,
  Turtle by Accept): the dcat:Catalog (dct:modified: the newest change), one dcat:Dataset per
  source (its document count, dct:modified) distributed as an N-Quads export, and the SPARQL
  endpoint as a dcat:DataService serving every dataset.
- ``GET /api/changes?since=…``: documents stored (new or replaced) or deleted at or after a
  time, oldest first, keyset-paged (``next`` carries the cursor), each with its graph, topic,
  source, time, checksum and where to fetch it. Deletions come from tombstones
  (:mod:`mcgraph.feed`).
- ``GET /api/sources/{name}/export``: the N-Quads of one source's documents.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

import pyoxigraph as ox
from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from mcgraph.api.context import ServiceContext
from mcgraph.api.deps import Context
from mcgraph.api.problems import ApiError
from mcgraph.api.rest_support import (
    JSONLD,
    RDF_CONTENT,
    TURTLE,
    CachedRoute,
    Cell,
    iri_of_key,
    key_of,
    negotiate,
    problems,
    select,
)
from mcgraph.store import RDF_FORMATS
from mcgraph.vocab import DC, DCAT, RDF, XSD

router = APIRouter(route_class=CachedRoute, tags=["Change feed"])
#: rows the changes query returns at most (one more than the largest page)
MAX_PAGE = 1000
_SOURCE = r"^[a-z0-9][a-z0-9._-]{0,63}$"
_SEP = "\t"


def _time(text: str, name: str) -> str:
    """An ISO 8601 date-time (a date alone is its midnight UTC) → xsd:dateTime text in UTC."""
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(
            400, "bad-request", f"{name}: {text!r} is not an ISO 8601 date-time"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="seconds")


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get(
    "/catalogue",
    summary="DCAT catalogue of this service's data",
    description="A dcat:Catalog: one dcat:Dataset per source (documents, dct:modified), each "
    "distributed as N-Quads (`/api/sources/{name}/export`) and served by the SPARQL endpoint "
    "(a dcat:DataService). JSON-LD by default; Turtle by Accept.",
    responses={200: {"content": RDF_CONTENT}, **problems(304, 406, 503)},
)
def catalogue(request: Request, context: Context) -> Response:
    fmt = negotiate(request, (JSONLD, TURTLE))
    base = _base(request)
    prefix = f"{context.service.repository.base_iri}source/"
    rows = select(context, "feed-catalogue", {})
    catalogue_node = ox.NamedNode(f"{base}/api/catalogue")
    endpoint = ox.NamedNode(f"{base}/sparql")
    triples = [
        _t(catalogue_node, RDF + "type", ox.NamedNode(DCAT + "Catalog")),
        _t(catalogue_node, DC + "title", ox.Literal("mcgraph: micro-credentials", language="en")),
        _t(catalogue_node, DCAT + "service", endpoint),
        _t(endpoint, RDF + "type", ox.NamedNode(DCAT + "DataService")),
        _t(endpoint, DCAT + "endpointURL", endpoint),
        _t(endpoint, DC + "conformsTo", ox.NamedNode("https://www.w3.org/TR/sparql11-protocol/")),
    ]
    sources: dict[str, tuple[int, str]] = {}  # name → (documents, newest change)
    for row in rows:  # a source has a row of documents and one of deletions
        name = row["source"].value.removeprefix(prefix)
        if name == row["source"].value or not re.match(_SOURCE, name):
            continue  # not a source this service names
        count, modified = sources.get(name, (0, ""))
        documents = _value(row, "documents")
        sources[name] = (
            count + (int(documents) if documents.isdigit() else 0),
            max(modified, _value(row, "modified"), _value(row, "lastDeletion")),
        )
    newest = max((modified for _, modified in sources.values()), default="")
    for name, (count, modified) in sorted(sources.items()):
        source = prefix + name
        dataset = ox.NamedNode(f"{base}/api/catalogue/{name}")
        export = ox.NamedNode(f"{base}/api/sources/{name}/export")
        triples += [
            _t(catalogue_node, DCAT + "dataset", dataset),
            _t(dataset, RDF + "type", ox.NamedNode(DCAT + "Dataset")),
            _t(dataset, DC + "identifier", ox.Literal(name)),
            _t(dataset, DC + "title", ox.Literal(f"Documents from source {name}", language="en")),
            _t(dataset, DC + "source", ox.NamedNode(source)),
            _t(dataset, "http://rdfs.org/ns/void#entities", _int(str(count))),
            _t(dataset, DCAT + "distribution", export),
            _t(export, RDF + "type", ox.NamedNode(DCAT + "Distribution")),
            _t(export, DCAT + "downloadURL", export),
            _t(export, DCAT + "mediaType", ox.NamedNode(_IANA + "application/n-quads")),
            _t(export, DCAT + "accessService", endpoint),
            _t(endpoint, DCAT + "servesDataset", dataset),
        ]
        if modified:
            triples.append(_t(dataset, DC + "modified", _datetime(modified)))
    if newest:
        triples.append(_t(catalogue_node, DC + "modified", _datetime(newest)))
    prefixes = {"dcat": DCAT, "dct": DC}
    body = ox.serialize(triples, format=RDF_FORMATS[fmt.name], prefixes=prefixes) or b""
    return Response(bytes(body), media_type=fmt.content_type)


_IANA = "https://www.iana.org/assignments/media-types/"


def _t(subject: ox.NamedNode, predicate: str, obj: ox.NamedNode | ox.Literal) -> ox.Triple:
    return ox.Triple(subject, ox.NamedNode(predicate), obj)


def _value(row: dict[str, Cell], name: str) -> str:
    cell = row.get(name)
    return cell.value if cell is not None else ""


def _int(text: str) -> ox.Literal:
    return ox.Literal(text or "0", datatype=ox.NamedNode(XSD + "integer"))


def _datetime(text: str) -> ox.Literal:
    return ox.Literal(text, datatype=ox.NamedNode(XSD + "dateTime"))


@router.get(
    "/changes",
    summary="Documents stored or deleted since a time",
    description="Oldest first. `since` is inclusive (ISO 8601; a date is its midnight UTC): a "
    "portal passes the `modified` of the last change it applied, or follows `next`. Each "
    "item: change (stored, deleted), graph, key, topic, source, modified, checksum, and "
    "`document` (GET it for the record, or with Accept JSON-LD/Turtle for the content).",
    responses=problems(304, 400, 503),
)
def changes(
    request: Request,
    context: Context,
    since: Annotated[str, Query(description="ISO 8601 date-time, inclusive")],
    source: Annotated[str | None, Query(pattern=_SOURCE, description="Only this source")] = None,
    cursor: Annotated[str | None, Query(description="From `next` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page")] = 100,
) -> Response:
    prefix = f"{context.service.repository.base_iri}source/"
    params: dict[str, str | None] = {
        "since": _time(since, "since"),
        "source": None if source is None else prefix + source,
    }
    if cursor is not None:
        params.update(_decode(cursor))
    rows = select(context, "feed-changes", params)
    page, more = rows[:limit], len(rows) > limit
    items: list[dict[str, Any]] = []
    for row in page:
        graph = row["graph"].value
        items.append(
            {
                "change": row["change"].value,
                "graph": graph,
                "key": key_of(graph),
                "topic": _value(row, "topic") or None,
                "source": row["source"].value.removeprefix(prefix),
                "modified": row["modified"].value,
                "checksum": _value(row, "checksum") or None,
                "document": f"/api/documents/{key_of(graph)}",
            }
        )
    answer: dict[str, Any] = {"since": params["since"], "items": items, "next": None}
    if more and page:
        last = page[-1]
        token = _SEP.join((last["modified"].value, last["graph"].value, last["change"].value))
        query = f"since={since}&limit={limit}&cursor={key_of(token)}"
        if source is not None:
            query += f"&source={source}"
        answer["next"] = f"/api/changes?{query}"
    return JSONResponse(answer)


def _decode(cursor: str) -> dict[str, str | None]:
    text = iri_of_key(cursor)
    parts = text.split(_SEP) if text else []
    if len(parts) != 3 or parts[2] not in ("stored", "deleted"):
        raise ApiError(400, "bad-cursor", f"{cursor!r} is not a cursor this API gave out")
    return {"afterTime": parts[0], "afterGraph": parts[1], "afterChange": parts[2]}


@router.get(
    "/sources/{name}/export",
    summary="One source's documents as N-Quads",
    description="Every statement of every document stored from the source, in its graph.",
    responses={200: {"content": {"application/n-quads": {}}}, **problems(304, 404, 503)},
)
def export_source(
    context: Context,
    name: Annotated[str, Path(pattern=_SOURCE, description="Source name")],
) -> Response:
    source = f"{context.service.repository.base_iri}source/{name}"
    rows = select(context, "feed-source-quads", {"source": source})
    if not rows and not _known(context, source):
        raise ApiError(404, "not-found", f"no source {name}")
    quads = [
        ox.Quad(_term(row["s"]), ox.NamedNode(row["p"].value), _term(row["o"]), _graph(row["g"]))
        for row in rows
    ]
    body = ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""
    return Response(bytes(body), media_type="application/n-quads")


def _known(context: ServiceContext, source: str) -> bool:
    return any(row["source"].value == source for row in select(context, "feed-catalogue", {}))


def _graph(cell: Cell) -> ox.NamedNode:
    return ox.NamedNode(cell.value)


def _term(cell: Cell) -> Any:
    if cell.kind == "uri":
        return ox.NamedNode(cell.value)
    if cell.kind == "bnode":
        return ox.BlankNode(cell.value)
    if cell.lang:
        return ox.Literal(cell.value, language=cell.lang)
    if cell.datatype:
        return ox.Literal(cell.value, datatype=ox.NamedNode(cell.datatype))
    return ox.Literal(cell.value)
