"""Named dependencies: a route's signature says what it needs."""

import hashlib
import secrets
from typing import Annotated

from fastapi import Depends, Request, Response
from starlette.requests import HTTPConnection

from app.core.container import Container
from app.core.warmup import WarmUp
from app.services.auth import ANONYMOUS, Principal
from app.services.roles import Action, authorize
from app.workers import WorkerPools


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def get_warmup(request: Request) -> WarmUp:
    warmup: WarmUp = request.app.state.warmup
    return warmup


def get_workers(request: Request) -> WorkerPools:
    workers: WorkerPools = request.app.state.workers
    return workers


def api_key_of(connection: HTTPConnection) -> str | None:
    """The key a caller sent: `X-API-Key`, `Authorization: Bearer`, or the session cookie."""
    key = connection.headers.get("x-api-key")
    auth = connection.headers.get("authorization", "")
    if not key and auth.lower().startswith("bearer "):
        key = auth[7:].strip()
    return key or connection.cookies.get("gaios_key") or None


def get_principal(request: Request, container: "ContainerDep") -> Principal:
    """The caller, from `X-API-Key`, `Authorization: Bearer`, or the session cookie."""
    key = api_key_of(request)
    if key:
        return container.keys.authenticate(key)
    return ANONYMOUS


ANONYMOUS_COOKIE = "gaios_anon"


def get_conversation_owner(request: Request, response: Response, principal: "PrincipalDep"
                           ) -> str:
    """Who a conversation belongs to: the key, else the caller's anonymous session secret
    (hashed). An anonymous caller without one gets one now, as a cookie on the response:
    a client that does not keep it cannot continue the conversation (it may send the
    earlier turns as `history` instead)."""
    if principal.key_id is not None:
        return f"key:{principal.key_id}"
    secret = request.cookies.get(ANONYMOUS_COOKIE)
    if not secret:
        secret = secrets.token_urlsafe(32)
        set_anonymous_cookie(response, secret, https=request.url.scheme == "https")
    return "anon:" + hashlib.sha256(secret.encode()).hexdigest()[:64]


def set_anonymous_cookie(response: Response, secret: str, *, https: bool) -> None:
    """The secret an anonymous caller's conversations are bound to (HttpOnly)."""
    response.set_cookie(ANONYMOUS_COOKIE, secret, max_age=12 * 3600, path="/", httponly=True,
                        samesite="strict", secure=https)


def get_reader(principal: "PrincipalDep", container: "ContainerDep") -> Principal:
    """The caller, refused when anonymous reading is switched off."""
    authorize(principal, Action.read, anonymous_read=container.settings.anonymous_read)
    return principal


def get_admin(principal: "PrincipalDep") -> Principal:
    """The caller, refused unless the key may manage keys (admins)."""
    authorize(principal, Action.manage_keys)
    return principal


ContainerDep = Annotated[Container, Depends(get_container)]
WorkersDep = Annotated[WorkerPools, Depends(get_workers)]
WarmUpDep = Annotated[WarmUp, Depends(get_warmup)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
ReaderDep = Annotated[Principal, Depends(get_reader)]
AdminDep = Annotated[Principal, Depends(get_admin)]
ConversationOwnerDep = Annotated[str, Depends(get_conversation_owner)]
