"""The web interface: HTML pages (plain HTML + CSS + ES modules from `app/web`, no build
step, no external assets) and the browser session routes under `/api/v1/session`.

Security headers (CSP: this origin only, no inline script or style) come from
`app.security`, as on every response. A browser signs in by posting an API key to
`/api/v1/session`; the key is checked and kept in an HttpOnly, SameSite=Strict
`gaios_key` cookie, which `app.api.deps` accepts like an `X-API-Key` header. Scripts never see the key again: they ask
`GET /api/v1/session` who is signed in.
"""

import html
import secrets
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from app.api.deps import ANONYMOUS_COOKIE, ContainerDep, api_key_of, set_anonymous_cookie
from app.api.routes.documents import DOC_TYPES
from app.api.routes.feedback import filters_of
from app.api.routes.usecases import FILTER_PARAMS, filters_from_query
from app.errors import AppError, Forbidden, InvalidRecord, NotFound, Unauthorized
from app.services.auth import ANONYMOUS, Principal
from app.services.landscape import build_landscape
from app.services.roles import Action, authorize
from app.web.feedback import PAGE_SIZE as FEEDBACK_PAGE
from app.web.feedback import filters_form, results_html
from app.web.landscape import Links, landscape_html

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
STATIC_DIR = WEB_DIR / "static"
TEMPLATES_DIR = WEB_DIR / "templates"
COOKIE = "gaios_key"
COOKIE_MAX_AGE = 12 * 3600
ASSET_VERSION = "1"
FEEDBACK_FILTERS = ("rating", "since", "until", "conversation_id", "has_comment")

router = APIRouter(include_in_schema=False)
session_router = APIRouter(prefix="/session", tags=["session"])


def install(app: FastAPI) -> None:
    """Add the session routes, the pages and the static files to the application."""
    app.include_router(session_router, prefix="/api/v1")
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


# -- session ----------------------------------------------------------------------------


class SessionRequest(BaseModel):
    key: str = Field(min_length=1, max_length=200, description="An API key.")


class SessionPublic(BaseModel):
    authenticated: bool
    name: str
    role: str


def public(principal: Principal) -> dict[str, Any]:
    return {"authenticated": principal.key_id is not None, "name": principal.name,
            "role": principal.role.value}


def cookie_principal(request: Request, container: Any) -> Principal:
    """The caller of a page: the session cookie's key, or anonymous when it has none or
    a key that no longer works (a page never fails on a stale cookie)."""
    key = api_key_of(request)
    if not key:
        return ANONYMOUS
    try:
        return container.keys.authenticate(key)
    except Unauthorized:
        return ANONYMOUS


@session_router.post("", response_model=SessionPublic)
def sign_in(body: SessionRequest, request: Request, response: Response,
            container: ContainerDep) -> dict[str, Any]:
    """Check an API key and keep it in an HttpOnly session cookie (401 if unknown)."""
    principal = container.keys.authenticate(body.key.strip())
    response.set_cookie(COOKIE, body.key.strip(), max_age=COOKIE_MAX_AGE, path="/",
                        httponly=True, samesite="strict",
                        secure=request.url.scheme == "https"
                        or bool(getattr(container.settings, "behind_https", False)))
    return public(principal)


@session_router.get("", response_model=SessionPublic)
def who_am_i(request: Request, response: Response, container: ContainerDep) -> dict[str, Any]:
    """Who the session cookie signs in, or anonymous. A revoked key's cookie is cleared."""
    principal = cookie_principal(request, container)
    if principal.key_id is None and request.cookies.get(COOKIE):
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    if not request.cookies.get(ANONYMOUS_COOKIE):
        set_anonymous_cookie(response, secrets.token_urlsafe(32), https=request.url.scheme
                             == "https" or bool(getattr(container.settings, "behind_https", False)))
    return public(principal)


@session_router.delete("", status_code=204)
def sign_out() -> Response:
    """Forget the session cookie."""
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


# -- pages ------------------------------------------------------------------------------


@cache
def template(name: str) -> str:
    return (TEMPLATES_DIR / name).read_text(encoding="utf-8")


def render(page: str, title: str, *, status_code: int = 200, **values: str) -> HTMLResponse:
    """The page template inside the layout. `values` fill `{{name}}` slots and are
    HTML-escaped unless their name ends in `_html`."""
    body = template(f"{page}.html")
    for name, value in values.items():
        body = body.replace("{{" + name + "}}", value if name.endswith("_html") else html.escape(value))
    full = title if title == "GAIOS" else f"{title} · GAIOS"
    text = (template("layout.html")
            .replace("{{title}}", html.escape(full))
            .replace("{{page}}", page)
            .replace("{{v}}", ASSET_VERSION)
            .replace("{{content_html}}", body))
    return HTMLResponse(text, status_code=status_code)


@router.get("/", response_class=HTMLResponse)
def chat_page() -> HTMLResponse:
    return render("chat", "Ask GAIOS")


@router.get("/usecases", response_class=HTMLResponse)
def usecases_page() -> HTMLResponse:
    return render("usecases", "Use cases")


@router.get("/usecases/{usecase_id}", response_class=HTMLResponse)
def usecase_page(usecase_id: str, request: Request, container: ContainerDep) -> HTMLResponse:
    principal = cookie_principal(request, container)
    try:
        title = str(container.usecases.get(usecase_id, by=principal)["record"]["title"])
    except NotFound:
        return render("notfound", "Not found", status_code=404, heading="Not found",
                      message=f"There is no use case with the id “{usecase_id}”.")
    except AppError:
        title = "Use case"
    return render("usecase", title, usecase_id=usecase_id)


@router.get("/landscape", response_class=HTMLResponse)
def landscape_page(request: Request, container: ContainerDep) -> HTMLResponse:
    """Charts of the published records, with the browser's filters (`?gsbpm=5&stage=pilot`)."""
    principal = cookie_principal(request, container)
    authorize(principal, Action.read, anonymous_read=container.settings.anonymous_read)
    params = [(k, v[:200]) for k, v in request.query_params.multi_items()
              if k in (*FILTER_PARAMS, "q")]
    try:
        land = build_landscape(container.usecases.matching(filters_from_query(params)))
    except InvalidRecord as exc:
        reasons = "; ".join(f"{e['field']}: {e['reason']}" for e in exc.errors)
        return render("notfound", "Landscape", status_code=422,
                      heading="These filters cannot be shown", message=f"{exc.message}: {reasons}.")
    shown = ", ".join(f"{k} = {v}" for k, v in params) or "none"
    links = Links(params)
    return render("landscape", "Landscape", total=str(land.total), filters=shown,
                  browse_link=links.to(), figures_html=landscape_html(land, links))


@router.get("/contribute", response_class=HTMLResponse)
def contribute_page() -> HTMLResponse:
    options = "".join(
        f'<option value="{t}"{" selected" if t == "other" else ""}>'
        f'{html.escape(t.replace("_", " ").capitalize())}</option>'
        for t in DOC_TYPES)
    return render("contribute", "Contribute", doc_type_options_html=options)


@router.get("/feedback", response_class=HTMLResponse)
def feedback_page(request: Request, container: ContainerDep) -> HTMLResponse:
    """Users' ratings of answers, for reviewers and admins, with the API's filters."""
    principal = cookie_principal(request, container)
    try:
        authorize(principal, Action.read_feedback)
    except (Unauthorized, Forbidden) as exc:
        return render("notfound", "Feedback", status_code=exc.status_code, heading="Feedback",
                      message="Users' feedback is for reviewers and administrators: sign in "
                              "with a reviewer or administrator key (top of the page).")
    params = {k: v[:40] for k in FEEDBACK_FILTERS if (v := request.query_params.get(k, ""))}
    try:
        offset = max(0, int(request.query_params.get("offset", "0")))
        rating = int(params["rating"]) if "rating" in params else None
        if rating not in (None, -1, 1):
            raise ValueError
        filters = filters_of(rating, params.get("since"), params.get("until"),
                             params.get("conversation_id"),
                             True if params.get("has_comment") == "true" else None)
    except InvalidRecord as exc:
        reasons = "; ".join(f"{d['field']}: {d['reason']}" for d in exc.errors)
        return render("notfound", "Feedback", status_code=422,
                      heading="These filters cannot be shown", message=f"{reasons}.")
    except ValueError:
        return render("notfound", "Feedback", status_code=422,
                      heading="These filters cannot be shown",
                      message="rating must be 1 or -1, offset a number.")
    page = container.feedback.page(filters, limit=FEEDBACK_PAGE, offset=offset)
    return render("feedback", "Feedback", filters_html=filters_form(params),
                  results_html=results_html(page.items, page.total, offset, params))


@router.get("/review", response_class=HTMLResponse)
def review_page() -> HTMLResponse:
    return render("review", "Review queue")
