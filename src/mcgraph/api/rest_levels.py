"""``/api/frameworks``, ``/api/levels``, ``/api/credentials/{id}/pathways`` and
``/api/pathways/gap``: qualification frameworks, the crosswalk, level decisions, stacking.

Reads run in the query workers like every other read; a level decision is a write (bearer
token, the write lock, then a new checkpoint).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from mcgraph import levels, stacking
from mcgraph.api.deps import Context, Writer
from mcgraph.api.rest_models import ApiModel
from mcgraph.api.rest_support import CachedRoute, not_found, problems, resource_id, select
from mcgraph.levels import LevelDecision, QueryRunner

router = APIRouter(route_class=CachedRoute, tags=["Levels and pathways"])
#: how many credentials one level lists in a crosswalk answer (credentials-at-level pages)
CREDENTIALS_PER_LEVEL = 500


def _rows(context: Context, name: str, params: Mapping[str, str | None]) -> list[dict[str, Any]]:
    return [{k: cell.value for k, cell in row.items()} for row in select(context, name, params)]


def _runner(context: Context) -> QueryRunner:
    def run(name: str, params: Mapping[str, str | None]) -> list[dict[str, str | None]]:
        return _rows(context, name, params)

    return run


@router.get(
    "/frameworks",
    summary="Qualification frameworks",
    description="The frameworks in the store: EQF, national frameworks, QF-EHEA and any loaded "
    "by a framework body, each with its EQF referencing source and date.",
    responses=problems(304, 503),
)
def list_frameworks(context: Context) -> list[dict[str, Any]]:
    return _rows(context, "frameworks", {})


@router.get(
    "/frameworks/{framework_id}",
    summary="One framework",
    responses=problems(304, 404, 503),
)
def get_framework(context: Context, framework_id: Annotated[str, Path()]) -> dict[str, Any]:
    return dict(levels.find_framework(_runner(context), framework_id))


@router.get(
    "/frameworks/{framework_id}/levels",
    summary="The levels of a framework and the EQF level each is referenced to",
    responses=problems(304, 404, 503),
)
def framework_levels(
    context: Context, framework_id: Annotated[str, Path()]
) -> list[dict[str, Any]]:
    scheme = levels.find_framework(_runner(context), framework_id)["framework"]
    return _rows(context, "framework-levels", {"framework": scheme})


@router.get(
    "/frameworks/{framework_id}/pending",
    summary="Specifications awaiting a level decision in this framework",
    responses=problems(304, 404, 503),
)
def pending_decisions(
    context: Context, framework_id: Annotated[str, Path()]
) -> list[dict[str, Any]]:
    scheme = levels.find_framework(_runner(context), framework_id)["framework"]
    return _rows(context, "awaiting-level-decision", {"framework": scheme})


@router.get(
    "/levels/crosswalk",
    summary="Comparable levels through the EQF, and the credentials at each",
    description="`level`: a level IRI, `eqf:N`, or `{framework id}:{notation}` (`ie-nfq:7`). "
    "`to`: only levels of this framework. Each level lists up to 500 credentials (stated, "
    "implied through the referencing, or assigned by a framework body).",
    responses=problems(304, 400, 404, 503),
)
def crosswalk(
    context: Context,
    level: Annotated[str, Query(description="The level to start from")],
    to: Annotated[str | None, Query(description="Target framework id or IRI")] = None,
) -> dict[str, Any]:
    return levels.crosswalk(_runner(context), level, target=to, per_level=CREDENTIALS_PER_LEVEL)


class DecisionRequest(ApiModel):
    specification: str = Field(description="IRI of the specification (or of a credential of it)")
    level: str = Field(description="Level IRI, eqf:N or {framework id}:{notation}")
    body: str = Field(description="Short id of the deciding body (names its graph)")
    body_name: str | None = Field(default=None, description="The body's name")
    basis: str = Field(description="On what grounds the level was decided")
    source: str | None = Field(default=None, description="Where the decision is published")
    date: dt.datetime | None = Field(default=None, description="When it was decided")


@router.post(
    "/levels/decisions",
    status_code=201,
    summary="Record a framework body's level decision (write token)",
    responses=problems(400, 401, 403, 404, 422),
)
def assign_level(request: Request, context: Writer, decision: DecisionRequest) -> JSONResponse:
    service = context.service
    with context.write_lock:
        iri = service.assign_level(
            LevelDecision(
                body=decision.body,
                body_name=decision.body_name,
                specification=decision.specification,
                level=service.resolve_level(decision.level),
                basis=decision.basis,
                source=decision.source,
                date=decision.date,
            )
        )
        context.after_write()
    return JSONResponse({"decision": iri}, status_code=201, headers={"Location": iri})


@router.get(
    "/levels/decisions",
    summary="Claimed vs assigned levels",
    responses=problems(304, 404, 503),
)
def list_decisions(
    context: Context,
    framework: Annotated[str | None, Query(description="Framework id or IRI")] = None,
) -> list[dict[str, Any]]:
    scheme = levels.find_framework(_runner(context), framework)["framework"] if framework else None
    return _rows(context, "level-decisions", {"framework": scheme})


@router.get(
    "/credentials/{credential_id:path}/pathways",
    summary="What a credential stacks into and is built from",
    description="The id is the credential's (or specification's) IRI, URL-encoded, or its "
    "short id. Follows elm:isPartOf / elm:hasPart (either direction) and elm:entitlesTo "
    "transitively; elm:specialisationOf one step.",
    responses=problems(304, 404, 503),
)
def credential_pathways(context: Context, credential_id: Annotated[str, Path()]) -> dict[str, Any]:
    iri = resource_id(credential_id)
    run = _runner(context)
    if iri is None or not stacking.specification_of(run, iri):
        raise not_found(f"credential {credential_id}")
    return stacking.pathways_json(stacking.pathways(run, iri))


class GapRequest(ApiModel):
    held: list[str] = Field(default_factory=list, description="IRIs of the credentials held")
    target: str = Field(description="IRI of the target specification (or a credential of it)")


@router.post(
    "/pathways/gap",
    summary="Components and credits still needed for a target",
    description="For the credentials a learner holds and a target: the smallest whole "
    "components still to earn, and the credit points (per credit framework) and hours they "
    "add up to. Nothing is stored.",
    responses=problems(400, 404, 503),
)
def pathway_gap(context: Context, request: GapRequest) -> dict[str, Any]:
    return stacking.gap_json(stacking.gap(_runner(context), request.held, request.target))
