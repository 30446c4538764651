"""``/api/credentials``: issued credentials, filtered and paged, and one credential in full.

Paging is keyset paging on the credential IRI: a page is the credentials after the cursor in
IRI order, so a cursor stays valid (and no item is skipped or repeated) while documents come
and go. The cursor is the short id of the last IRI of the page.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from mcgraph.api import rest_documents, rest_standard
from mcgraph.api.deps import Context
from mcgraph.api.rest_models import (
    CredentialDetail,
    CredentialPage,
    CredentialSummary,
    ProviderRef,
)
from mcgraph.api.rest_support import (
    JSON,
    JSON_OR_RDF,
    JSONLD,
    RDF_CONTENT,
    CachedRoute,
    Cell,
    Row,
    by_language,
    construct,
    country_code,
    country_iri,
    decode_cursor,
    eqf_number,
    key_of,
    negotiate,
    not_found,
    preferred,
    problems,
    rdf_response,
    resource_id,
    select,
)

router = APIRouter(route_class=CachedRoute, tags=["Credentials"])
MAX_LIMIT = 500  # api-credential-page.rq returns at most MAX_LIMIT + 1 rows


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


@router.get(
    "/credentials",
    response_model=CredentialPage,
    summary="Issued credentials, filtered and paged",
    description="Issued credentials (elm:EuropeanDigitalCredential) in IRI order. Every filter "
    "given narrows the list; a filter not given does not constrain it. JSON by default; with "
    "`Accept: application/ld+json` or `text/turtle`, the core ELM description of the page's "
    "credentials (a CONSTRUCT). The next page: `?cursor=` the `next` value (also in a "
    '`Link: <...>; rel="next"` header), with the same filters.',
    responses={
        200: {"content": RDF_CONTENT},
        **problems(304, 400, 406, 503),
    },
)
def list_credentials(
    request: Request,
    response: Response,
    context: Context,
    eqf: Annotated[int | None, Query(ge=1, le=8, description="EQF level, 1 to 8")] = None,
    nqf: Annotated[str | None, Query(description="IRI of an NQF level concept")] = None,
    country: Annotated[
        str | None,
        Query(description="Awarding body's country: ISO 3166 alpha-3 (DEU) or its EU IRI"),
    ] = None,
    provider: Annotated[str | None, Query(description="IRI of the awarding body")] = None,
    ects_min: Annotated[
        Decimal | None, Query(ge=0, allow_inf_nan=False, description="At least, in ECTS")
    ] = None,
    ects_max: Annotated[
        Decimal | None, Query(ge=0, allow_inf_nan=False, description="At most, in ECTS")
    ] = None,
    assessment_type: Annotated[
        str | None, Query(description="IRI of an assessment type concept")
    ] = None,
    participation_form: Annotated[
        str | None, Query(description="IRI of a mode of participation concept")
    ] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Text in the title or description (any language)"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")] = 50,
    cursor: Annotated[str | None, Query(description="`next` of the previous page")] = None,
) -> CredentialPage | Response:
    fmt = negotiate(request, JSON_OR_RDF)
    filters = {
        "eqf": None if eqf is None else str(eqf),
        "nqf": nqf,
        "country": None if country is None else country_iri(country.strip()),
        "provider": provider,
        "ects_min": _decimal(ects_min),
        "ects_max": _decimal(ects_max),
        "assessment_type": assessment_type,
        "participation_form": participation_form,
        "q": q.strip() if q and q.strip() else None,
    }
    after = None if cursor is None else decode_cursor(cursor)
    page = [
        row["credential"].value
        for row in select(context, "api-credential-page", {**filters, "after": after})
    ]
    shown = page[:limit]
    next_cursor = key_of(shown[-1]) if len(page) > limit else None
    headers = {}
    if next_cursor is not None:
        link = request.url.include_query_params(cursor=next_cursor)
        headers["Link"] = f'<{link}>; rel="next"'
    if not shown:
        if fmt is not JSON:
            return rdf_response(b"[]" if fmt is JSONLD else b"", fmt)
        return CredentialPage(items=[], next=None)
    window = {**filters, "after": after, "until": shown[-1]}  # exactly this page
    if fmt is not JSON:
        return rdf_response(construct(context, "api-credential-graph", window, fmt), fmt, headers)
    response.headers.update(headers)
    details = summaries(select(context, "api-credential-details", window))
    items = [CredentialSummary(**details[iri].model_dump()) for iri in shown if iri in details]
    return CredentialPage(items=items, next=next_cursor)


@router.get(
    "/credentials/{credential_id:path}",
    response_model=CredentialDetail,
    summary="One issued credential",
    description="The id is the credential's IRI, URL-encoded (`https%3A%2F%2F...`), or its short "
    "id (`key` in the list: the IRI in unpadded base64url). JSON: its summary, descriptions, "
    "the Annex I elements of its profile and whether it carries each, and the records of the "
    "stored documents holding it. JSON-LD or Turtle: the stored document (its named graph).",
    responses={200: {"content": RDF_CONTENT}, **problems(304, 404, 406, 503)},
)
def get_credential(
    request: Request,
    context: Context,
    credential_id: Annotated[str, Path(description="Credential IRI (URL-encoded) or short id")],
) -> CredentialDetail | Response:
    fmt = negotiate(request, JSON_OR_RDF)
    iri = resource_id(credential_id)
    rows = [] if iri is None else select(context, "api-credential-details", {"credential": iri})
    if iri is None or not rows:
        raise not_found(f"no issued credential {credential_id}")
    records = rest_documents.records(context, topic=iri)
    if fmt is not JSON:
        if not records:
            raise not_found(f"no stored document holds {iri}")
        return rdf_response(
            construct(context, "api-document-graph", {"graph": records[0].graph}, fmt), fmt
        )
    detail = summaries(rows)[iri]
    if records and records[0].profile:
        newest = records[0]
        detail.elements = rest_standard.presence(
            context,
            iri,
            newest.graph,
            newest.profile or "issued",
            set(newest.violates),
            validated=True,
        )
    detail.documents = records
    return detail


def summaries(rows: list[Row]) -> dict[str, CredentialDetail]:
    """Fold api-credential-details.rq's field/value rows into one record per credential."""
    fields: dict[str, dict[str, list[Cell]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        if "field" in row and "value" in row:
            key = row["field"].value
            if key.startswith("provider") and key != "provider":
                key = f"{key} {row['of'].value if 'of' in row else ''}"
            fields[row["credential"].value][key].append(row["value"])
    return {iri: _detail(iri, values) for iri, values in fields.items()}


def _first(values: dict[str, list[Cell]], key: str) -> str | None:
    cells = sorted(values.get(key, []), key=lambda c: c.value)
    return cells[0].value if cells else None


def _ects(values: dict[str, list[Cell]]) -> float | None:
    """The ECTS credit points (the least, should a specification state several)."""
    points = []
    for cell in values.get("ects", []):
        try:
            points.append(Decimal(cell.value.replace(",", ".")))
        except ArithmeticError:
            continue
    finite = [p for p in points if p.is_finite()]
    return float(min(finite)) if finite else None


def _detail(iri: str, values: dict[str, list[Cell]]) -> CredentialDetail:
    provider_iri = _first(values, "provider")
    provider = None
    if provider_iri is not None:
        provider = ProviderRef(
            id=provider_iri,
            key=key_of(provider_iri),
            name=preferred(values.get(f"providerName {provider_iri}", [])),
            country=country_code(_first(values, f"providerCountry {provider_iri}")),
        )
    titles = values.get("title") or values.get("claimTitle", [])
    levels = sorted(n for n in (eqf_number(c.value) for c in values.get("eqfLevel", [])) if n)
    return CredentialDetail(
        id=iri,
        key=key_of(iri),
        title=preferred(titles),
        eqf_level=levels[0] if levels else None,
        nqf_level=_first(values, "nqfLevel"),
        provider=provider,
        ects=_ects(values),
        issued=_first(values, "issued") or _first(values, "awardingDate"),
        specification=_first(values, "specification"),
        titles=by_language(titles),
        descriptions=by_language(values.get("description", [])),
        volume_of_learning=_first(values, "volumeOfLearning"),
        modes=sorted({c.value for c in values.get("mode", [])}),
        assessment_types=sorted({c.value for c in values.get("assessmentType", [])}),
    )
