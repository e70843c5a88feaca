"""Browser-facing protections: security headers on every response and CORS.

The web UI uses only local assets, so the default Content-Security-Policy allows
scripts, styles and connections to this origin only. The OpenAPI pages (`/api/docs`,
`/redoc`) load Swagger UI and ReDoc from their CDN with an inline script; they get a
policy that allows exactly that. Strict-Transport-Security is sent only when the
settings say the deployment is served over HTTPS (`behind_https`): sent over plain
HTTP it would lock browsers out of a site that has no certificate.
"""

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings

DOCS_PATHS = ("/api/docs", "/redoc")
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net "
            "https://fonts.googleapis.com; "
            "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: "
            "https://fastapi.tiangolo.com https://cdn.redoc.ly; connect-src 'self'; "
            "worker-src 'self' blob:; object-src 'none'; frame-ancestors 'none'")
HSTS = "max-age=31536000; includeSubDomains"
Headers = list[tuple[bytes, bytes]]


def security_headers(settings: Settings, *, csp: str) -> Headers:
    """The headers sent with every response, for a page with this policy."""
    headers = {
        "x-content-type-options": "nosniff",
        "referrer-policy": settings.referrer_policy,
        "x-frame-options": "DENY",
        "content-security-policy": csp,
    }
    if settings.behind_https:
        headers["strict-transport-security"] = HSTS
    return [(k.encode(), v.encode()) for k, v in headers.items()]


class SecurityHeaders:
    """Adds `headers` (or `docs_headers` on the OpenAPI pages) to every HTTP response,
    leaving alone any header a route set itself."""

    def __init__(self, app: ASGIApp, *, headers: Headers, docs_headers: Headers) -> None:
        self.app, self.headers, self.docs_headers = app, headers, docs_headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.docs_headers if scope["path"].startswith(DOCS_PATHS) else self.headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *[(k, v) for k, v in extra if k not in present]]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def add_security(app: FastAPI, settings: Settings) -> None:
    """CORS for the configured origins (none by default), then the security headers."""
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"], max_age=600)
    if settings.security_headers:
        app.add_middleware(SecurityHeaders,
                           headers=security_headers(settings, csp=settings.content_security_policy),
                           docs_headers=security_headers(settings, csp=DOCS_CSP))
