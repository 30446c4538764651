"""The FastAPI application: built by :func:`create_app` from settings, with the shared context
created in the lifespan (store, query workers) and closed on shutdown."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware

from mcgraph.api import graph_store, problems, resolve, rest, sparql
from mcgraph.api.context import ServiceContext
from mcgraph.errors import ConfigurationError, McgraphError
from mcgraph.service import Service
from mcgraph.settings import Settings, write_token
from mcgraph.store.workers import QueryExecutor

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyLimit:
    """Refuse request bodies over the limit (413), whether announced or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(send, self.limit)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise _BodyTooLargeError
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLargeError:
            await _too_large(send, self.limit)


class _BodyTooLargeError(Exception):
    pass


class SparqlFastPath:
    """GET and POST ``/sparql`` straight to their handler, past FastAPI's routing, dependency
    solving and response handling: those cost a small query as much as the rest of its
    handling in this process (~0.08 of ~0.25 ms). It sits inside the body limit and CORS;
    mcgraph's errors become the same responses through the app's own handlers, anything else
    goes on up as it would from a route. (The routes stay, for the OpenAPI description.)"""

    def __init__(
        self, app: ASGIApp, handlers: Mapping[Any, Callable[..., Response | Awaitable[Response]]]
    ) -> None:
        self.app, self.handlers = app, handlers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, root = scope.get("path", ""), scope.get("root_path", "")
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "POST")
            or path[len(root) :] != "/sparql"
        ):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await sparql.answer(request)
        except McgraphError as error:
            handler = next(self.handlers[c] for c in type(error).__mro__ if c in self.handlers)
            handled = handler(request, error)
            response = await handled if inspect.isawaitable(handled) else handled
        await response(scope, receive, send)


async def _too_large(send: Send, limit: int) -> None:
    body = (
        b'{"type":"'
        + problems.PROBLEM_BASE.encode()
        + b'body-too-large","title":"Request body too large",'
        b'"status":413,"detail":"the request body is over ' + str(limit).encode() + b' bytes"}'
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_app(settings: Settings, *, context: ServiceContext | None = None) -> FastAPI:
    """The mcgraph HTTP service over the store named by ``settings``."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        shared = context or build_context(settings)
        app.state.mcgraph = shared
        try:
            yield
        finally:
            if context is None:
                shared.close()

    app = FastAPI(
        title="mcgraph",
        summary="Knowledge graph and SPARQL service for EU micro-credentials (ELM v3, Annex I)",
        version="0.1.0",
        lifespan=lifespan,
    )
    problems.install(app)
    app.add_middleware(SparqlFastPath, handlers=app.exception_handlers)  # the innermost
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "Accept", "If-None-Match"],
            expose_headers=["ETag", "Last-Modified", "Location"],
        )
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    for router in (sparql.router, graph_store.router, rest.router, resolve.router):
        app.include_router(router)
    return app


def build_context(settings: Settings) -> ServiceContext:
    """Open the store for writing, compact it (a no-op unless it changed since), and start
    the query workers over its checkpoints."""
    service = Service(settings)
    if service.repository.path is None:
        raise ConfigurationError("the HTTP service needs an on-disk store")
    service.repository.public.optimize()
    executor = QueryExecutor(
        service.repository.public,
        service.repository.path / "checkpoints",
        workers=settings.query_workers,
        timeout=settings.query_timeout,
        max_rows=settings.max_result_rows,
    )
    return ServiceContext(settings, service, executor, write_token(settings))
