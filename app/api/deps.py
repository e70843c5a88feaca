"""Named dependencies: a route's signature says what it needs."""

from typing import Annotated

from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from app.core.container import Container
from app.services.auth import ANONYMOUS, Principal
from app.services.roles import Action, authorize
from app.workers import WorkerPools


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


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
PrincipalDep = Annotated[Principal, Depends(get_principal)]
ReaderDep = Annotated[Principal, Depends(get_reader)]
AdminDep = Annotated[Principal, Depends(get_admin)]
