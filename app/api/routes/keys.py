"""API keys: create (the key is shown once), list, revoke. Admins only."""

from typing import Any

from fastapi import APIRouter, Response

from app.api.deps import AdminDep, ContainerDep
from app.schemas.keys import KeyCreate, KeyCreated, KeyList
from app.services.auth import ApiKey, Role

router = APIRouter(prefix="/keys", tags=["keys"])


def key_public(key: ApiKey) -> dict[str, Any]:
    return {"id": key.id, "name": key.name, "role": key.role.value,
            "created_at": key.created_at, "revoked_at": key.revoked_at, "active": key.active}


@router.post("", response_model=KeyCreated, status_code=201)
def create_key(body: KeyCreate, container: ContainerDep, _: AdminDep) -> dict[str, Any]:
    """Create a key. The response is the only place the key is ever shown."""
    key_id, key = container.keys.create(name=body.name, role=Role(body.role))
    return {**key_public(container.keys.get(key_id)), "key": key}


@router.get("", response_model=KeyList)
def list_keys(container: ContainerDep, _: AdminDep) -> dict[str, Any]:
    """Every key with its role and state; never the keys themselves."""
    data = [key_public(k) for k in container.keys.list()]
    return {"data": data, "count": len(data)}


@router.delete("/{key_id}", status_code=204)
def revoke_key(key_id: str, container: ContainerDep, _: AdminDep) -> Response:
    """Revoke a key: it is refused from the next request on (kept for the record)."""
    container.keys.revoke(key_id)
    return Response(status_code=204)

