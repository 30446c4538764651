"""Errors → HTTP, in one table: RFC 9457 problem details (``application/problem+json``), or
the plain text the SPARQL 1.1 Protocol uses on its own endpoints.

Every error mcgraph raises on purpose maps here to a status and a problem type; anything else
is a bug and becomes a 500 without internals in the body.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from mcgraph.errors import (
    ConfigurationError,
    ContextUnavailableError,
    DocumentError,
    FrameworkError,
    McgraphError,
    NotFoundError,
    UnsafeDocumentError,
    UsageError,
)
from mcgraph.sparql_guard import QueryRefusedError
from mcgraph.store import StoreError
from mcgraph.store.workers import QueryTimeoutError, ResultTooLargeError, ServiceBusyError

PROBLEM_BASE = "https://w3id.org/mcgraph/problems/"
log = logging.getLogger("mcgraph.api")


class ApiError(McgraphError):
    """An HTTP-level refusal raised by a route (not found, unauthorised, unacceptable, ...)."""

    def __init__(
        self,
        status: int,
        kind: str,
        detail: str,
        headers: dict[str, str] | None = None,
        *,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.kind, self.detail, self.headers = status, kind, detail, headers or {}
        #: further members of the problem object (RFC 9457 §3.2), e.g. a validation report
        self.extra = extra or {}


#: exception class → (HTTP status, problem type, title); the first matching row wins
PROBLEMS: list[tuple[type[BaseException], int, str, str]] = [
    (QueryTimeoutError, 503, "query-timeout", "The query took too long and was stopped"),
    (ServiceBusyError, 503, "service-busy", "The query service is busy"),
    (ResultTooLargeError, 400, "result-too-large", "The result is larger than allowed"),
    (QueryRefusedError, 403, "refused", "The request is not allowed here"),
    (UnsafeDocumentError, 413, "unsafe-document", "The document was refused before reading"),
    (ContextUnavailableError, 422, "context-unavailable", "A JSON-LD context is not available"),
    (DocumentError, 400, "unreadable-document", "The document cannot be read"),
    (FrameworkError, 422, "invalid-framework", "The qualification framework was refused"),
    (NotFoundError, 404, "not-found", "There is no such resource here"),
    (UsageError, 400, "bad-request", "The request cannot be answered as asked"),
    (StoreError, 500, "store-error", "The store could not do it"),
    (ConfigurationError, 500, "configuration-error", "The service is misconfigured"),
]

#: routes whose errors follow the SPARQL protocol (plain text) instead of problem+json
PLAIN_TEXT_PREFIXES = ("/sparql", "/update")


def _problem(
    request: Request,
    status: int,
    kind: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    if request.url.path.startswith(PLAIN_TEXT_PREFIXES) and "json" not in request.headers.get(
        "accept", ""
    ):
        return PlainTextResponse(f"{title}: {detail}\n", status_code=status, headers=headers)
    body = {
        "type": PROBLEM_BASE + kind,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return JSONResponse(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem response."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> Response:
        return _problem(
            request,
            error.status,
            error.kind,
            error.kind.replace("-", " "),
            error.detail,
            error.headers,
            **error.extra,
        )

    @app.exception_handler(McgraphError)
    async def mcgraph_error(request: Request, error: McgraphError) -> Response:
        for cls, status, kind, title in PROBLEMS:
            if isinstance(error, cls):
                if status >= 500:
                    log.error("%s: %s", kind, error)
                return _problem(request, status, kind, title, str(error))
        log.exception("unmapped mcgraph error")
        return _problem(request, 500, "internal", "Internal error", "an unexpected error occurred")

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        return _problem(request, 400, "bad-request", "The request is not valid", details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        kind = {404: "not-found", 405: "method-not-allowed"}.get(error.status_code, "http-error")
        return _problem(
            request,
            error.status_code,
            kind,
            kind.replace("-", " "),
            str(error.detail),
            getattr(error, "headers", None),
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        return _problem(request, 500, "internal", "Internal error", "an unexpected error occurred")
