"""revisions remember whether they were ever published; no non-finite numbers in records

A revision replaced by a newer edit before anyone reviewed it used to get the status
`superseded`, like a published revision replaced by a newer publication, and was then
shown as public history. `published_at` tells them apart: it is back-filled from the
review time of the revisions that were published (status `published`, or `superseded`
after a review: a rejected revision keeps the status `rejected`).

Records stored before the schema refused NaN and infinities may hold them (SQLite kept
Python's `NaN` token); they mean "no value", so they become `null` and the content hash
is recomputed.

Revision ID: 0003_revision_published_at
Revises: 0002
Create Date: 2026-11-29
"""

import hashlib
import json
import math

import sqlalchemy as sa
from alembic import op

revision = "0003_revision_published_at"
down_revision = "0002"
branch_labels = None
depends_on = None


def _finite(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def upgrade() -> None:
    with op.batch_alter_table("usecase_revisions") as batch:
        batch.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE usecase_revisions SET published_at = reviewed_at "
        "WHERE status = 'published' OR (status = 'superseded' AND reviewed_at IS NOT NULL)"
    )
    connection = op.get_bind()
    if connection.dialect.name != "sqlite":
        return  # PostgreSQL's json type never accepted NaN or Infinity
    for pk, raw in connection.execute(sa.text("SELECT pk, data FROM usecase_revisions")).all():
        data = json.loads(raw)
        cleaned = _finite(data)
        if cleaned != data:
            digest = hashlib.sha256(json.dumps(cleaned, sort_keys=True, default=str).encode())
            connection.execute(
                sa.text("UPDATE usecase_revisions SET data = :data, content_hash = :hash "
                        "WHERE pk = :pk"),
                {"data": json.dumps(cleaned, allow_nan=False), "hash": digest.hexdigest(),
                 "pk": pk})

def downgrade() -> None:
    with op.batch_alter_table("usecase_revisions") as batch:
        batch.drop_column("published_at")
