"""API keys and roles. Keys are random tokens shown once and stored as SHA-256 hashes
(a key has 256 bits of entropy, so a fast hash is enough; no password stretching)."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select

from app.db.models import ApiKeyRow, utcnow
from app.db.session import Database
from app.errors import NotFound, Unauthorized

KEY_PREFIX = "gaios_"


class Role(StrEnum):
    anonymous = "anonymous"
    reader = "reader"
    contributor = "contributor"
    reviewer = "reviewer"
    admin = "admin"


RANK = {Role.anonymous: 0, Role.reader: 1, Role.contributor: 2, Role.reviewer: 3, Role.admin: 4}


@dataclass(frozen=True)
class Principal:
    """Who is calling: a key id and name, and the role of that key."""

    key_id: str | None
    name: str
    role: Role

    def at_least(self, role: Role) -> bool:
        """Rank order; what each role may do is decided by `app.services.roles`."""
        return RANK[self.role] >= RANK[role]


ANONYMOUS = Principal(key_id=None, name="anonymous", role=Role.anonymous)


@dataclass(frozen=True)
class ApiKey:
    """A stored key as it may be shown: never the key itself, nor its hash."""

    id: str
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyStore:
    def __init__(self, db: Database, *, bootstrap_admin_key: str = "") -> None:
        self.db = db
        self.bootstrap_hash = hash_key(bootstrap_admin_key) if bootstrap_admin_key else None

    def create(self, *, name: str, role: Role) -> tuple[str, str]:
        """A new key: returns (key id, the key itself, shown only now)."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        key_id = secrets.token_hex(6)
        with self.db.session() as session:
            session.add(ApiKeyRow(id=key_id, name=name, role=role.value, key_hash=hash_key(key)))
        return key_id, key

    def revoke(self, key_id: str) -> None:
        with self.db.session() as session:
            row = session.get(ApiKeyRow, key_id)
            if row is None:
                raise NotFound(f"no API key with id {key_id!r}")
            row.revoked_at = row.revoked_at or utcnow()

    def get(self, key_id: str) -> ApiKey:
        with self.db.session() as session:
            row = session.get(ApiKeyRow, key_id)
            if row is None:
                raise NotFound(f"no API key with id {key_id!r}")
            return self._public(row)

    def list(self) -> list[ApiKey]:
        with self.db.session() as session:
            rows = session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.id))
            return [self._public(row) for row in rows]

    @staticmethod
    def _public(row: ApiKeyRow) -> ApiKey:
        return ApiKey(id=row.id, name=row.name, role=Role(row.role), created_at=row.created_at,
                      revoked_at=row.revoked_at)

    def authenticate(self, key: str) -> Principal:
        digest = hash_key(key)
        if self.bootstrap_hash and hmac.compare_digest(digest, self.bootstrap_hash):
            return Principal(key_id="admin", name="bootstrap admin", role=Role.admin)
        with self.db.session() as session:
            row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == digest))
            if row is None or row.revoked_at is not None:
                raise Unauthorized("unknown or revoked API key")
            return Principal(key_id=row.id, name=row.name, role=Role(row.role))
