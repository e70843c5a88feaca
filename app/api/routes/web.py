"""The web interface: HTML pages (plain HTML + CSS + ES modules from `app/web`, no build
step, no external assets) and the browser session routes under `/api/v1/session`.

Security headers (CSP: this origin only, no inline script or style) come from
`app.security`, as on every response. A browser signs in by posting an API key to
`/api/v1/session`; the key is checked and kept in an HttpOnly, SameSite=Strict
`gaios_key` cookie, which `app.api.deps` accepts like an `X-API-Key` header. Scripts never see the key again: they ask
`GET /api/v1/session` who is signed in.
"""

import html
import json
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
from app.web import i18n
from app.web.feedback import PAGE_SIZE as FEEDBACK_PAGE
from app.web.feedback import filters_form, results_html
from app.web.landscape import Links, landscape_html

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
STATIC_DIR = WEB_DIR / "static"
TEMPLATES_DIR = WEB_DIR / "templates"
COOKIE = "gaios_key"
COOKIE_MAX_AGE = 12 * 3600
ASSET_VERSION = "2"
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


def language(request: Request) -> str:
    """The page's language: `?lang=`, else the `gaios_lang` cookie, else Accept-Language."""
    return i18n.choose(request.query_params.get("lang"), request.cookies.get(i18n.COOKIE),
                       request.headers.get("accept-language"))


def language_links(lang: str) -> str:
    """The header's language switch: one link per language, in that language."""
    current = ' aria-current="true"'
    return "".join(
        f'<li><a href="?lang={code}" hreflang="{code}" lang="{code}" data-lang="{code}"'
        f'{current if code == lang else ""}>{html.escape(name)}</a></li>'
        for code, name in i18n.LANGUAGES.items())


def strings_json(lang: str) -> str:
    """The language's catalogue for the page's scripts, safe inside a <script> element."""
    return json.dumps(i18n.catalogue(lang), ensure_ascii=False).replace("<", "\\u003c")


def render(request: Request, page: str, title: str, *, status_code: int = 200,
           **values: str) -> HTMLResponse:
    """The page template inside the layout, in the caller's language. `{{t:key}}` slots
    take the language's text for `key` (`title` is a key too); `values` fill `{{name}}`
    slots and are HTML-escaped unless their name ends in `_html`. Text slots are filled
    first, so a value (a use-case id from the URL) cannot bring in one."""
    lang = language(request)
    body = i18n.fill_slots(lang, template(f"{page}.html"), html.escape)
    for name, value in values.items():
        body = body.replace("{{" + name + "}}", value if name.endswith("_html") else html.escape(value))
    heading = i18n.translate(lang, title) if title in i18n.catalogue(lang) else title
    full = heading if heading == "GAIOS" else f"{heading} · GAIOS"
    text = (i18n.fill_slots(lang, template("layout.html"), html.escape)
            .replace("{{lang}}", lang)
            .replace("{{title}}", html.escape(full))
            .replace("{{page}}", page)
            .replace("{{v}}", ASSET_VERSION)
            .replace("{{strings_json}}", strings_json(lang))
            .replace("{{language_links_html}}", language_links(lang))
            .replace("{{content_html}}", body))
    response = HTMLResponse(text, status_code=status_code,
                            headers={"Content-Language": lang, "Vary": "Accept-Language, Cookie"})
    if request.query_params.get("lang") == lang:  # the switch was used: keep the choice
        response.set_cookie(i18n.COOKIE, lang, max_age=365 * 24 * 3600, path="/",
                            httponly=True, samesite="lax")
    return response


@router.get("/", response_class=HTMLResponse)
def chat_page(request: Request) -> HTMLResponse:
    return render(request, "chat", "title.chat")


@router.get("/usecases", response_class=HTMLResponse)
def usecases_page(request: Request) -> HTMLResponse:
    return render(request, "usecases", "title.usecases")


@router.get("/usecases/{usecase_id}", response_class=HTMLResponse)
def usecase_page(usecase_id: str, request: Request, container: ContainerDep) -> HTMLResponse:
    principal = cookie_principal(request, container)
    try:
        title = str(container.usecases.get(usecase_id, by=principal)["record"]["title"])
    except NotFound:
        lang = language(request)
        return render(request, "notfound", "title.notfound", status_code=404,
                      heading=i18n.translate(lang, "title.notfound"),
                      message=i18n.translate(lang, "notfound.usecase", id=usecase_id))
    except AppError:
        title = "title.usecase"
    return render(request, "usecase", title, usecase_id=usecase_id)


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
        return render(request, "notfound", "title.landscape", status_code=422,
                      heading=i18n.translate(language(request), "notfound.filters"),
                      message=f"{exc.message}: {reasons}.")
    t = i18n.Text(language(request))
    shown = ", ".join(f"{k} = {v}" for k, v in params) or t("landscape.no_filters")
    links = Links(params)
    return render(request, "landscape", "title.landscape", total=str(land.total), filters=shown,
                  browse_link=links.to(), figures_html=landscape_html(land, links, t))


@router.get("/contribute", response_class=HTMLResponse)
def contribute_page(request: Request) -> HTMLResponse:
    t = i18n.Text(language(request))
    options = "".join(
        f'<option value="{kind}"{" selected" if kind == "other" else ""}>'
        f'{html.escape(t.vocab("document_type", kind, kind.replace("_", " ").capitalize()))}'
        '</option>' for kind in DOC_TYPES)
    return render(request, "contribute", "title.contribute", doc_type_options_html=options)


@router.get("/feedback", response_class=HTMLResponse)
def feedback_page(request: Request, container: ContainerDep) -> HTMLResponse:
    """Users' ratings of answers, for reviewers and admins, with the API's filters."""
    principal = cookie_principal(request, container)
    try:
        authorize(principal, Action.read_feedback)
    except (Unauthorized, Forbidden) as exc:
        lang = language(request)
        return render(request, "notfound", "title.feedback", status_code=exc.status_code,
                      heading=i18n.translate(lang, "title.feedback"),
                      message=i18n.translate(lang, "feedback.signin"))
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
        return render(request, "notfound", "title.feedback", status_code=422,
                      heading=i18n.translate(language(request), "notfound.filters"),
                      message=f"{reasons}.")
    except ValueError:
        return render(request, "notfound", "title.feedback", status_code=422,
                      heading=i18n.translate(language(request), "notfound.filters"),
                      message=i18n.translate(language(request), "feedback.bad_filters"))
    page = container.feedback.page(filters, limit=FEEDBACK_PAGE, offset=offset)
    t = i18n.Text(language(request))
    return render(request, "feedback", "title.feedback", filters_html=filters_form(params, t),
                  results_html=results_html(page.items, page.total, offset, params, t))


@router.get("/review", response_class=HTMLResponse)
def review_page(request: Request) -> HTMLResponse:
    return render(request, "review", "title.review")
