"""Documents through the API: validate one without storing it, store one through validated
ingestion (the same path as ``mcgraph load``), read a stored document's record, delete one.

A body is read by :func:`mcgraph.documents.read_document`, so every safety check of the command
line applies (size, depth, literal length, no DTD in RDF/XML), JSON-LD contexts resolve through
the service's resolver (never fetched unless the service allows it), and Open Badges 3.0 are
mapped to ELM as ``mcgraph load`` maps them. Its format is the Content-Type, or sniffed when
the type is absent or generic.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from mcgraph.api import negotiation
from mcgraph.api.context import ServiceContext
from mcgraph.api.deps import Context, Writer
from mcgraph.api.negotiation import Body
from mcgraph.api.problems import ApiError
from mcgraph.api.rest_models import DocumentRecord, StoredDocument, ValidationReport
from mcgraph.api.rest_support import (
    JSON,
    JSON_OR_RDF,
    RDF_CONTENT,
    CachedRoute,
    construct,
    key_of,
    negotiate,
    not_found,
    problems,
    rdf_response,
    resource_id,
    select,
)
from mcgraph.documents import MEDIA_TYPES, RdfDocument, read_document
from mcgraph.ingest import document_identifier, graph_iri
from mcgraph.loaders import openbadges
from mcgraph.validation import detect_profile, reports_json
from mcgraph.vocab import DC, FOAF, MCG, PROV, SPDX

router = APIRouter(route_class=CachedRoute, tags=["Documents"])
Profile = Literal["auto", "issued", "specification"]
#: Content-Type → the format read_document reads; absent or generic types are sniffed
UPLOADS = {**MEDIA_TYPES, "application/xml": "rdfxml", "text/xml": "rdfxml"}
SNIFFED = ("", "application/octet-stream", "text/plain")
_BODY = {
    "content": {media: {"schema": {"type": "string"}} for media in UPLOADS},
    "required": True,
}


def read_upload(request: Request, context: ServiceContext, body: bytes, source: str) -> RdfDocument:
    """The request body as one ELM document (problems: 400, 413, 415, 422 by the table)."""
    media, charset = negotiation.media_type(request.headers.get("content-type"))
    negotiation.check_charset(charset)
    if media not in UPLOADS and media not in SNIFFED:
        readable = ", ".join(UPLOADS)
        raise ApiError(415, "unsupported-media-type", f"{media} is not read here; send {readable}")
    document = read_document(
        body,
        source=source,
        format=UPLOADS.get(media),
        settings=context.settings,
        resolver=context.service.resolver,
    )
    if len({quad.graph_name for quad in document.quads}) > 1:
        raise ApiError(400, "bad-request", "one document per request: the body has several graphs")
    if openbadges.is_open_badge(document):
        document = openbadges.map_open_badge(document)
    return document


@router.post(
    "/validate",
    response_model=ValidationReport,
    summary="Validate one document against Annex I",
    description="The body is one document (ELM JSON-LD, also sealed; Turtle, N-Triples, "
    "N-Quads, TriG, RDF/XML; Open Badges 3.0). The answer is exactly what `mcgraph validate "
    "--format json` prints for it. Nothing is stored.",
    openapi_extra={"requestBody": _BODY},
    responses=problems(400, 413, 415, 422),
)
def validate(
    request: Request,
    context: Context,
    body: Body,
    profile: Annotated[Profile, Query(description="Annex I profile; auto: detected")] = "auto",
) -> Response:
    document = read_upload(request, context, body, source="request")
    service = context.service
    reports = service.validator.validate_documents(
        [document], profile=profile, checks=service.level_checks()
    )
    return JSONResponse(reports_json(reports))


@router.post(
    "/documents",
    status_code=201,
    response_model=StoredDocument,
    summary="Store one document (validated)",
    description="Validated ingestion of one document, as `mcgraph load` does it: a document "
    "that violates Annex I is refused (422, with its report) and nothing of it is stored, "
    "unless `allow_invalid`. Stored: 201 and `Location: /api/documents/{key}`; the same "
    "bytes again from the same source: 200, unchanged. Needs `Authorization: Bearer <token>`.",
    openapi_extra={"requestBody": _BODY},
    responses={
        200: {"model": StoredDocument, "description": "Already stored, unchanged"},
        **problems(400, 401, 403, 413, 415, 422),
    },
)
def store_document(
    request: Request,
    context: Writer,
    body: Body,
    source: Annotated[
        str, Query(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$", description="Source name")
    ] = "api",
    allow_invalid: Annotated[bool, Query(description="Store it even if it violates")] = False,
    profile: Annotated[Profile, Query(description="Annex I profile; auto: detected")] = "auto",
) -> Response:
    document = read_upload(request, context, body, source=f"urn:uuid:{uuid.uuid4()}")
    service = context.service
    # validated here for the report the answer carries (the ingestor keeps reports of failures
    # only), and so that a rejected document never waits for the write lock
    report = service.validator.validate_documents(
        [document], profile=profile, checks=service.level_checks()
    )[0]
    detected = detect_profile(document.quads) if profile == "auto" else profile
    topic = document_identifier(document, detected)
    graph = graph_iri(service.repository.base_iri, source, topic)
    if report.error is not None or not (report.conforms or allow_invalid):
        raise ApiError(
            422,
            "rejected",
            report.error or "the document violates Annex I: nothing was stored",
            extra={"report": report.as_json()},
        )
    with context.write_lock:
        summary = service.store_documents(
            [document], source=source, allow_invalid=allow_invalid, profile=profile
        )
        if summary.stored or summary.stored_invalid:
            context.after_write()
    if summary.failed:  # the ingestor saw what the check above did not: nothing was stored
        outcome = summary.problems[0]
        raise ApiError(
            422,
            "rejected",
            outcome.error or "the document was not stored",
            extra={"report": None if outcome.report is None else outcome.report.as_json()},
        )
    status = "unchanged" if summary.unchanged else "stored" if summary.stored else "stored-invalid"
    location = f"/api/documents/{key_of(graph)}"
    answer = StoredDocument(
        status=status,
        graph=graph,
        key=key_of(graph),
        topic=None if topic == document.source else topic,
        location=location,
        report=report.as_json(),
    )
    return JSONResponse(
        answer.model_dump(mode="json", by_alias=True),
        status_code=200 if summary.unchanged else 201,
        headers={"Location": location},
    )


@router.get(
    "/documents/{document_id:path}",
    response_model=DocumentRecord,
    summary="One stored document",
    description="The id is the document's graph IRI (URL-encoded) or its short id (as in "
    "Location), or the IRI of the credential or specification it holds (the newest such "
    "document). JSON: its metadata record. JSON-LD or Turtle: its content.",
    responses={200: {"content": RDF_CONTENT}, **problems(304, 404, 406, 503)},
)
def get_document(
    request: Request,
    context: Context,
    document_id: Annotated[str, Path(description="Graph IRI (URL-encoded) or short id")],
) -> DocumentRecord | Response:
    fmt = negotiate(request, JSON_OR_RDF)
    iri = resource_id(document_id)
    found = [] if iri is None else records(context, graph=iri) or records(context, topic=iri)
    if not found:
        raise not_found(f"no stored document {document_id}")
    if fmt is JSON:
        return found[0]
    return rdf_response(
        construct(context, "api-document-graph", {"graph": found[0].graph}, fmt), fmt
    )


@router.delete(
    "/documents/{document_id:path}",
    status_code=204,
    summary="Delete stored documents",
    description="Removes a document (its graph, its record and any protected personal data) "
    "named by its graph IRI or short id; named by a credential or specification IRI, every "
    "document holding it. Needs `Authorization: Bearer <token>`.",
    responses=problems(401, 403, 404),
)
def delete_document(
    context: Writer,
    document_id: Annotated[str, Path(description="Graph IRI (URL-encoded) or short id")],
) -> Response:
    iri = resource_id(document_id)
    with context.write_lock:
        service = context.service
        graphs = [] if iri is None else service.document_graphs(iri)
        documents = [
            g for g in graphs if service.select("api-document-records", params={"graph": g})
        ]
        if not documents:
            raise not_found(f"no stored document {document_id}")
        service.delete(documents)
        context.after_write()
    return Response(status_code=204)


def records(
    context: ServiceContext, *, graph: str | None = None, topic: str | None = None
) -> list[DocumentRecord]:
    """The records of the documents in ``graph`` or about ``topic``, newest first."""
    by_graph: dict[str, DocumentRecord] = {}
    for row in select(context, "api-document-records", {"graph": graph, "topic": topic}):
        name = row["graph"].value
        record = by_graph.setdefault(name, DocumentRecord(graph=name, key=key_of(name)))
        prop, text = row["property"].value, row["value"].value
        field = _RECORD_FIELDS.get(prop)
        if field == "violates":
            record.violates.append(text.removeprefix(MCG))
        elif field == "profile":
            record.profile = text.removeprefix(MCG)
        elif field == "conforms":
            record.conforms = text == "true"
        elif field is not None:
            setattr(record, field, text)
    return sorted(by_graph.values(), key=lambda r: (r.stored or "", r.graph), reverse=True)


_RECORD_FIELDS = {
    f"{FOAF}primaryTopic": "topic",
    f"{DC}source": "source",
    f"{PROV}hadPrimarySource": "primary_source",
    f"{PROV}generatedAtTime": "stored",
    f"{DC}format": "format",
    f"{SPDX}checksumValue": "checksum",
    f"{MCG}mapping": "mapping",
    f"{MCG}validatedAgainst": "profile",
    f"{MCG}conforms": "conforms",
    f"{MCG}violates": "violates",
}
