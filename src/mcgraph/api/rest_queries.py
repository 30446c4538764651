"""``/api/queries``: the named queries (``queries/*.rq``) with their documented, typed
parameters, and running one with parameters from the query string."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from mcgraph import queries
from mcgraph.api import negotiation
from mcgraph.api.deps import Context
from mcgraph.api.negotiation import Params
from mcgraph.api.problems import ApiError
from mcgraph.api.rest_models import NamedQueryInfo, NamedQueryList, QueryParameterInfo
from mcgraph.api.rest_support import CachedRoute, negotiate, not_found, problems
from mcgraph.api.sparql import query_form
from mcgraph.store.workers import QueryJob

router = APIRouter(route_class=CachedRoute, tags=["Named queries"])


def _info(query: queries.NamedQuery) -> NamedQueryInfo:
    return NamedQueryInfo(
        name=query.name,
        title=query.title,
        description=query.description,
        form=query_form(query.text),
        parameters=[
            QueryParameterInfo(
                name=p.name, type=p.type, required=p.required, description=p.description
            )
            for p in query.parameters
        ],
        href=f"/api/queries/{query.name}",
        sparql=query.text,
    )


@router.get(
    "/queries",
    response_model=NamedQueryList,
    summary="The named queries",
    description="Every shipped named query (`queries/*.rq`, as `mcgraph query --list` shows "
    "them): title, description, form, typed parameters and the SPARQL text.",
    responses=problems(304),
)
def list_queries() -> NamedQueryList:
    return NamedQueryList(items=[_info(q) for q in queries.named_queries().values()])


@router.get(
    "/queries/{name}",
    summary="Run a named query",
    description="Parameters come from the query string (`?level=6`), typed as the query "
    "declares them and bound as values, never spliced into the text: an unknown, missing or "
    "ill-typed parameter is a 400 naming it. SELECT and ASK answer SPARQL 1.1 results (JSON by "
    "default; CSV, TSV or XML by Accept); CONSTRUCT answers RDF (Turtle by default; JSON-LD, "
    "N-Triples or RDF/XML by Accept). The query runs in a query worker, stopped at the time "
    "limit.",
    responses={
        200: {
            "content": {
                **{f.media_type: {} for f in negotiation.RESULTS},
                **{f.media_type: {} for f in negotiation.RDF},
            },
            "description": "The query's results",
        },
        **problems(304, 400, 404, 406, 503),
    },
)
def run_query(
    request: Request,
    context: Context,
    name: Annotated[str, Path(description="Name of the query, e.g. credentials-per-eqf-level")],
) -> Response:
    named = queries.named_queries().get(name)
    if named is None:
        raise not_found(f"no named query {name!r}; the list is at /api/queries")
    params = Params.of(request.scope["query_string"])
    for key, _ in params:
        params.one(key)  # a parameter given twice is a 400
    for parameter in named.parameters:
        if parameter.required and parameter.name not in params:
            raise ApiError(
                400,
                "bad-request",
                f"parameter {parameter.name} is required ({parameter.type}): "
                f"{parameter.description}",
            )
    bindings = queries.bind(named, dict(params.pairs))
    offers = negotiation.RDF if query_form(named.text) in ("CONSTRUCT", "DESCRIBE") else None
    fmt = negotiate(request, offers or negotiation.RESULTS)
    job = QueryJob(
        named.text,
        result_format=fmt.name if offers is None else "json",
        rdf_format=fmt.name if offers is not None else "turtle",
        bindings=bindings,
    )
    return Response(context.executor.run(job).body, media_type=fmt.content_type)
