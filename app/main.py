"""The FastAPI application: `create_app(settings)` builds it; `gaios serve` runs it."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api import docs as api_docs
from app.api.main import api_router
from app.api.routes import health, openai_compat, web
from app.core.config import Settings, get_settings
from app.core.container import Container
from app.core.warmup import STEPS, WarmUp
from app.errors import AppError, HTTPError, InvalidRecord, PayloadTooLarge
from app.middleware import BodyIdleTimeout, InternalErrors, add_operations_middleware
from app.workers import WorkerPools
from ingest.schedule import HarvestSchedule

log = logging.getLogger("gaios")


def error_response(exc: AppError) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after)} if hasattr(exc, "retry_after") else None
    body = {"error": {"type": exc.error_type, "message": exc.message, "details": exc.errors}}
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


async def app_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return error_response(exc)


LOCATIONS = ("body", "query", "path", "header", "cookie")


def error_detail(err: dict[str, Any]) -> dict[str, str]:
    """One pydantic error as {field, reason}: the field without its location prefix
    (`offset`, `filters.gsbpm`), or `(body)` for a body that does not parse."""
    if err["type"] == "json_invalid":
        reason = err.get("ctx", {}).get("error", "")
        return {"field": "(body)", "reason": f"malformed JSON: {reason}"}
    loc = list(err["loc"])
    if loc and loc[0] in LOCATIONS:
        loc = loc[1:]
    return {"field": ".".join(str(p) for p in loc) or "(body)", "reason": err["msg"]}


async def validation_error_handler(_: Request, exc: Exception) -> JSONResponse:
    """FastAPI's own 422s, in the project's one error shape."""
    assert isinstance(exc, RequestValidationError)
    details = [error_detail(err) for err in exc.errors()]
    return error_response(InvalidRecord("invalid request", errors=details))


async def http_error_handler(_: Request, exc: Exception) -> JSONResponse:
    """Starlette's and FastAPI's own errors (unknown route, wrong method, a body that
    could not be read) in the project's one error shape."""
    assert isinstance(exc, StarletteHTTPException)
    cause = exc.__cause__
    if isinstance(cause, AppError):  # raised while FastAPI read the body (413, 408)
        return error_response(cause)
    if exc.status_code == 400 and cause is not None:  # the body did not parse (e.g. too deep)
        return error_response(InvalidRecord("the request body could not be parsed", errors=[
            {"field": "(body)", "reason": "not valid JSON, or nested too deeply"}]))
    message = exc.detail if isinstance(exc.detail, str) else "request refused"
    response = error_response(HTTPError(exc.status_code, message))
    response.headers.update(exc.headers or {})
    return response


UPLOAD_PATH = "/api/v1/documents"


class BodySizeLimit:
    """Refuses a request body over `limit` bytes with 413, whether or not it declares a
    Content-Length (a chunked upload is counted as it arrives)."""

    def __init__(self, app: ASGIApp, *, limit: int, upload_limit: int) -> None:
        self.app, self.limit, self.upload_limit = app, limit, upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Only the upload route itself; a suffix match would give any ".../documents" path
        # the large limit.
        is_upload = scope["method"] == "POST" and scope["path"].rstrip("/") == UPLOAD_PATH
        limit = self.upload_limit if is_upload else self.limit
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
        if built.keyword.stale:  # a publish or ingest was killed before its rebuild
            built.keyword.rebuild_from(built.store)
            log.warning("keyword index was stale (an interrupted write): rebuilt")
        counts = built.load_curated()
        log.info("curated use cases loaded: %s", counts)
        app.state.container = built
        # The models and indexes load behind the server: /readyz says what it waits for.
        app.state.warmup = WarmUp(built, STEPS if settings.load_at_start else []).start()
        app.state.workers = WorkerPools(settings)
        schedule = HarvestSchedule(built).start()
        try:
            yield
        finally:
            schedule.stop()
            app.state.warmup.stop()
            app.state.workers.shutdown()

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
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    # Innermost first: any unexpected error becomes a 500 in the error shape that still
    # passes the request id, the security headers and the metrics on its way out.
    app.add_middleware(InternalErrors, render=error_response)
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes,
                       upload_limit=settings.max_upload_bytes)
    app.add_middleware(BodyIdleTimeout, seconds=settings.body_idle_timeout_seconds,
                       render=error_response)
    add_operations_middleware(app, settings, render=error_response)
    app.include_router(api_router, prefix="/api/v1")
    app.include_router(health.router)
    app.include_router(openai_compat.router)
    api_docs.install(app, openapi_url="/api/v1/openapi.json")
    web.install(app)  # the web interface: pages, /static, /api/v1/session
    return app
