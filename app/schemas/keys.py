"""Request and response models of the API-key routes (`/api/v1/keys`, admins only)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

# The roles a key can be given (anonymous is the absence of a key); also the choices of
# `gaios keys create --role`, which lists them without importing the key store.
GrantableRole = Literal["reader", "contributor", "reviewer", "admin"]


class KeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=120, examples=["methods unit, coding pilot"],
                      description="Who or what the key is for.")
    role: GrantableRole = Field(
        examples=["contributor"], description="What the key may do (docs/roles.md).")


class KeyPublic(BaseModel):
    id: str
    name: str
    role: str
    created_at: datetime
    revoked_at: datetime | None
    active: bool


class KeyCreated(KeyPublic):
    key: str = Field(description="The key itself: shown only in this response, stored as a hash.")


class KeyList(BaseModel):
    data: list[KeyPublic]
    count: int
