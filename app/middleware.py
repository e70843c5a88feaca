"""The operations layer around the API, installed by `create_app` in one call: rate
limits, CORS, security headers, request ids, access logs and metrics; and the two guards
next to the routes, `BodyIdleTimeout` and `InternalErrors`.

Starlette runs the middleware added last first, so a request meets, in order: the
request observer (id, timing, log line: it sees every response, 429s and 500s included),
the security headers, CORS, the rate limits, the body idle timeout, the body-size
limit, the internal-error guard, then the routes.
"""

import asyncio
import logging
from collections.abc import Callable

from fastapi import FastAPI
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.routes import metrics as metrics_route
from app.core.config import Settings
from app.errors import AppError, RequestTimeout
from app.observability import Metrics, RequestObserver
from app.ratelimit import RateLimit, limiters_for
from app.security import add_security

log = logging.getLogger("gaios")
Render = Callable[[AppError], Response]


def add_operations_middleware(app: FastAPI, settings: Settings, *, render: Render) -> None:
    """Install the operations middleware and `/metrics` on `app` (metrics of its own)."""
    metrics = Metrics()
    app.state.metrics = metrics
    limiters = limiters_for(settings)
    if limiters:
        app.add_middleware(RateLimit, limiters=limiters, render=render, metrics=metrics)
    add_security(app, settings)
    app.add_middleware(RequestObserver, metrics=metrics)
    if settings.metrics_enabled:
        app.include_router(metrics_route.router)


class InternalErrors:
    """Any exception a route did not turn into an `AppError` becomes a 500 in the error
    shape, with a message that shows nothing of the internals (the traceback goes to the
    log, under the request id)."""

    def __init__(self, app: ASGIApp, *, render: Render) -> None:
        self.app, self.render = app, render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:  # the last line of defence: every error gets the shape
            if started:
                raise
            if not isinstance(exc, AppError):
                log.exception("unhandled error in %s %s", scope["method"], scope["path"])
                exc = AppError("internal server error; the X-Request-ID header identifies "
                               "this request in the server's log")
            await self.render(exc)(scope, receive, send)


class BodyIdleTimeout:
    """Answers 408 when a request body stops arriving for `seconds` (a client that
    declares more bytes than it sends would otherwise hold the request open for ever)."""

    def __init__(self, app: ASGIApp, *, seconds: float, render: Render) -> None:
        self.app, self.seconds, self.render = app, seconds, render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        timed_out = body_done = False

        async def patient_receive() -> Message:
            nonlocal timed_out, body_done
            if body_done:  # later calls wait for a disconnect, as long as a stream lasts
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.seconds)
                body_done = not message.get("more_body", False)
                return message
            except TimeoutError:
                timed_out = True
                raise RequestTimeout(f"the request body stopped arriving for {self.seconds:g} s "
                                     "(is its Content-Length right?)") from None

        try:
            await self.app(scope, patient_receive, send)
        except RequestTimeout as exc:
            if not timed_out:
                raise
            await self.render(exc)(scope, receive, send)
