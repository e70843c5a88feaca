"""Named dependencies: a route's signature says what it needs."""

from typing import Annotated

from fastapi import Depends, Request

from app.core.container import Container
from app.errors import Unauthorized
from app.services.auth import ANONYMOUS, Principal


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def get_principal(request: Request, container: "ContainerDep") -> Principal:
    """The caller, from `X-API-Key`, `Authorization: Bearer`, or the session cookie."""
    key = request.headers.get("x-api-key")
    auth = request.headers.get("authorization", "")
    if not key and auth.lower().startswith("bearer "):
        key = auth[7:].strip()
    key = key or request.cookies.get("gaios_key")
    if key:
        return container.keys.authenticate(key)
    return ANONYMOUS


def get_reader(principal: "PrincipalDep", container: "ContainerDep") -> Principal:
    """The caller, refused when anonymous reading is switched off."""
    if principal.key_id is None and not container.settings.anonymous_read:
        raise Unauthorized("this deployment needs an API key for reading")
    return principal


ContainerDep = Annotated[Container, Depends(get_container)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
ReaderDep = Annotated[Principal, Depends(get_reader)]
