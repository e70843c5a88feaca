"""The FastAPI application: `create_app(settings)` builds it; `gaios serve` runs it."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api import docs as api_docs
from app.api.main import api_router
from app.api.routes import health, openai_compat, web
from app.core.config import Settings, get_settings
from app.core.container import Container
from app.errors import AppError, InvalidRecord, PayloadTooLarge
from app.middleware import add_operations_middleware

log = logging.getLogger("gaios")


def error_response(exc: AppError) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after)} if hasattr(exc, "retry_after") else None
    body = {"error": {"type": exc.error_type, "message": exc.message, "details": exc.errors}}
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


async def app_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return error_response(exc)


async def validation_error_handler(_: Request, exc: Exception) -> JSONResponse:
    """FastAPI's own 422s, in the project's one error shape."""
    assert isinstance(exc, RequestValidationError)
    details = [
        {"field": ".".join(str(p) for p in err["loc"] if p != "body") or "(body)", "reason": err["msg"]}
        for err in exc.errors()
    ]
    return error_response(InvalidRecord("invalid request", errors=details))


class BodySizeLimit:
    """Refuses a request body over `limit` bytes with 413, whether or not it declares a
    Content-Length (a chunked upload is counted as it arrives)."""

    def __init__(self, app: ASGIApp, *, limit: int, upload_limit: int) -> None:
        self.app, self.limit, self.upload_limit = app, limit, upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if scope["path"].endswith("/documents") else self.limit
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and int(declared) > limit:
            await self._refuse(limit, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise PayloadTooLarge(f"the request body is over the limit of {limit} bytes")
            return message

        try:
            await self.app(scope, counting_receive, send)
        except PayloadTooLarge:
            await self._refuse(limit, send)

    @staticmethod
    async def _refuse(limit: int, send: Send) -> None:
        response = error_response(PayloadTooLarge(f"the request body is over the limit of {limit} bytes"))
        await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    """The GAIOS application for these settings (or a ready container, in tests)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        built = container or Container.build(settings)
        counts = built.load_curated()
        log.info("curated use cases loaded: %s", counts)
        app.state.container = built
        yield

    app = FastAPI(
        title="GAIOS",
        summary="Generative AI for Official Statistics: use-case repository and grounded assistant.",
        version="0.1.0",
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served from installed files by app.api.docs, not a CDN
        redoc_url=None,
    )
    app.add_exception_handler(AppError, app_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes,
                       upload_limit=settings.max_upload_bytes)
    add_operations_middleware(app, settings, render=error_response)
    app.include_router(api_router, prefix="/api/v1")
    app.include_router(health.router)
    app.include_router(openai_compat.router)
    api_docs.install(app, openapi_url="/api/v1/openapi.json")
    web.install(app)  # the web interface: pages, /static, /api/v1/session
    return app
