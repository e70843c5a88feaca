"""The operations layer around the API, installed by `create_app` in one call: rate
limits, CORS, security headers, request ids, access logs and metrics.

Starlette runs the middleware added last first, so a request meets, in order: the
request observer (id, timing, log line: it sees every response, 429s included), the
security headers, CORS, the rate limits, then the body-size limit and the routes.
"""

from collections.abc import Callable

from fastapi import FastAPI
from starlette.responses import Response

from app.api.routes import metrics as metrics_route
from app.core.config import Settings
from app.errors import AppError
from app.observability import Metrics, RequestObserver
from app.ratelimit import RateLimit, limiters_for
from app.security import add_security


def add_operations_middleware(app: FastAPI, settings: Settings, *,
                              render: Callable[[AppError], Response]) -> None:
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
