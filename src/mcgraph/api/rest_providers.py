"""``/api/providers``: awarding bodies, with their names, country and what they award."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from mcgraph.api.context import ServiceContext
from mcgraph.api.deps import Context
from mcgraph.api.rest_models import Provider, ProviderList
from mcgraph.api.rest_support import (
    JSON,
    JSON_OR_RDF,
    RDF_CONTENT,
    CachedRoute,
    Cell,
    by_language,
    construct,
    country_code,
    key_of,
    negotiate,
    not_found,
    preferred,
    problems,
    rdf_response,
    resource_id,
    select,
)

router = APIRouter(route_class=CachedRoute, tags=["Providers"])


@router.get(
    "/providers",
    response_model=ProviderList,
    summary="Awarding bodies",
    description="Every awarding body named in a stored credential or catalogue entry, in IRI "
    "order, with its legal names, country and counts: issued credentials it awards, and "
    "specifications it awards (offered in a catalogue, or specifying a credential it awards). "
    "List its credentials with `/api/credentials?provider=IRI`.",
    responses=problems(304, 503),
)
def list_providers(context: Context) -> ProviderList:
    return ProviderList(items=_providers(context, None))


@router.get(
    "/providers/{provider_id:path}",
    response_model=Provider,
    summary="One awarding body",
    description="The id is the body's IRI (URL-encoded) or its short id (`key`). JSON: as in "
    "the list. JSON-LD or Turtle: everything the store says about it (and what points to it).",
    responses={200: {"content": RDF_CONTENT}, **problems(304, 404, 406, 503)},
)
def get_provider(
    request: Request,
    context: Context,
    provider_id: Annotated[str, Path(description="Awarding body IRI (URL-encoded) or short id")],
) -> Provider | Response:
    fmt = negotiate(request, JSON_OR_RDF)
    iri = resource_id(provider_id)
    found = [] if iri is None else _providers(context, iri)
    if iri is None or not found:
        raise not_found(f"no awarding body {provider_id}")
    if fmt is JSON:
        return found[0]
    return rdf_response(construct(context, "api-describe", {"resource": iri}, fmt), fmt)


def _providers(context: ServiceContext, provider: str | None) -> list[Provider]:
    fields: dict[str, dict[str, list[Cell]]] = defaultdict(lambda: defaultdict(list))
    for row in select(context, "api-providers", {"provider": provider}):
        if "field" in row and "value" in row:
            fields[row["provider"].value][row["field"].value].append(row["value"])
    answer = []
    for iri in sorted(fields):
        values = fields[iri]
        countries = sorted(c.value for c in values.get("country", []))
        answer.append(
            Provider(
                id=iri,
                key=key_of(iri),
                name=preferred(values.get("name", [])),
                names=by_language(values.get("name", [])),
                country=country_code(countries[0]) if countries else None,
                credentials=_count(values.get("credentials", [])),
                specifications=_count(values.get("specifications", [])),
            )
        )
    return answer


def _count(cells: list[Cell]) -> int:
    return max((int(c.value) for c in cells if c.value.isdigit()), default=0)
