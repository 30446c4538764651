"""FastAPI dependencies: the shared context, and the write-token check."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, Request

from mcgraph.api.context import ServiceContext
from mcgraph.api.problems import ApiError


def get_context(request: Request) -> ServiceContext:
    context: ServiceContext = request.app.state.mcgraph
    return context


def require_writer(
    context: Annotated[ServiceContext, Depends(get_context)],
    authorization: Annotated[str | None, Header()] = None,
) -> ServiceContext:
    """Writes need ``Authorization: Bearer <token>``; with no token configured, none is allowed."""
    if context.write_token is None:
        raise ApiError(
            403, "writes-disabled", "this service accepts no writes: no write token is configured"
        )
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(
            401,
            "unauthorized",
            "a write needs 'Authorization: Bearer <token>'",
            {"WWW-Authenticate": 'Bearer realm="mcgraph"'},
        )
    if not hmac.compare_digest(token.strip().encode(), context.write_token.encode()):
        raise ApiError(403, "forbidden", "the write token is not valid")
    return context


Context = Annotated[ServiceContext, Depends(get_context)]
Writer = Annotated[ServiceContext, Depends(require_writer)]
