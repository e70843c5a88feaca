"""Rate limits on chat and uploads: a sliding window per API key, or per client address
for anonymous callers, kept in this process.

Each process counts on its own: with N replicas (or `--workers N`) a caller may get up
to N times the limit. Several replicas need a shared store (e.g. Redis) or, simpler, a
limit at the load balancer or reverse proxy (docs/operations.md).

A refused request gets 429, a `Retry-After` header (seconds) and the project's one
JSON error body; it never reaches the route, so nothing is read, parsed or stored.
"""

import hashlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable

from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.deps import api_key_of
from app.core.config import Settings
from app.errors import AppError, RateLimited
from app.observability import Metrics
from app.services.auth import KEY_PREFIX

WINDOW_SECONDS = 60.0
# (method, path) -> the limit it counts against
LIMITED: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/chat"): "chat",
    ("POST", "/api/v1/chat/stream"): "chat",
    ("POST", "/v1/chat/completions"): "chat",
    ("POST", "/api/v1/documents"): "upload",
    ("POST", "/api/v1/usecases"): "upload",
}


class SlidingWindow:
    """At most `limit` events in any `window` seconds for each identity."""

    def __init__(self, limit: int, *, window: float = WINDOW_SECONDS,
                 clock: Callable[[], float] = time.monotonic, max_identities: int = 50_000) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self.max_identities = max_identities
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, identity: str) -> float:
        """Count one event; 0.0 if it is allowed, else the seconds until it would be."""
        now = self.clock()
        with self._lock:
            events = self._events.setdefault(identity, deque())
            while events and events[0] <= now - self.window:
                events.popleft()
            if len(events) >= self.limit:
                return events[0] + self.window - now
            events.append(now)
            if len(self._events) > self.max_identities:
                self._forget_idle(now)
            return 0.0

    def _forget_idle(self, now: float) -> None:
        # Bounded memory whatever the number of addresses a client cycles through.
        idle = [k for k, v in self._events.items() if not v or v[-1] <= now - self.window]
        for key in idle:
            del self._events[key]


def limiters_for(settings: Settings) -> dict[str, SlidingWindow]:
    """The limits switched on in the settings (0 = off)."""
    limits = {"chat": settings.rate_limit_chat_per_minute,
              "upload": settings.rate_limit_upload_per_minute}
    return {name: SlidingWindow(limit) for name, limit in limits.items() if limit > 0}


def caller_identity(scope: Scope) -> str:
    """A hash of the API key when a GAIOS key is sent (keys never sit in memory in clear),
    else the client address (set from X-Forwarded-For by uvicorn for trusted proxies).
    Other tokens count by address: stock clients' placeholder keys are served as anonymous
    (app.api.routes.openai_compat), and a fresh token per request must not be a fresh limit."""
    key = api_key_of(HTTPConnection(scope))
    if key and key.startswith(KEY_PREFIX):
        return "key:" + hashlib.sha256(key.encode()).hexdigest()[:32]
    client = scope.get("client")
    return "addr:" + (client[0] if client else "unknown")


class RateLimit:
    """ASGI middleware applying `limiters` to the routes listed in `LIMITED`."""

    def __init__(self, app: ASGIApp, *, limiters: dict[str, SlidingWindow],
                 render: Callable[[AppError], Response], metrics: Metrics) -> None:
        self.app, self.limiters, self.render, self.metrics = app, limiters, render, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = LIMITED.get((scope.get("method", ""), scope["path"].rstrip("/") or "/")) \
            if scope["type"] == "http" else None
        limiter = self.limiters.get(name) if name else None
        wait = limiter.hit(caller_identity(scope)) if limiter else 0.0
        if limiter is None or wait <= 0:
            await self.app(scope, receive, send)
            return
        assert name is not None
        self.metrics.rate_limited.labels(name).inc()
        retry_after = max(1, math.ceil(wait))
        error = RateLimited(f"too many {name} requests: at most {limiter.limit} a minute; "
                            f"retry in {retry_after} s", retry_after=retry_after)
        await self.render(error)(scope, receive, send)
