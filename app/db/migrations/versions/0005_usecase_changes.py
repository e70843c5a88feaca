"""change log of published records (the harvesting feed, `GET /api/v1/changes`)

Revision ID: 0005
Revises: 0003_revision_published_at
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003_revision_published_at"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usecase_changes",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("usecase_id", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index("ix_usecase_changes_usecase_id", "usecase_changes", ["usecase_id"])
    op.create_table(
        "usecase_change_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # Records published before the feed existed enter it once, oldest change first.
    op.execute(sa.text(
        "INSERT INTO usecase_changes (seq, usecase_id, kind, revision, changed_at) "
        "SELECT ROW_NUMBER() OVER (ORDER BY updated_at, id), id, 'published', "
        "published_revision, updated_at FROM usecases "
        "WHERE published_revision IS NOT NULL AND NOT deleted"))
    op.execute(sa.text("INSERT INTO usecase_change_counter (id, value) "
                       "SELECT 1, COUNT(*) FROM usecase_changes"))


def downgrade() -> None:
    op.drop_table("usecase_change_counter")
    op.drop_index("ix_usecase_changes_usecase_id", table_name="usecase_changes")
    op.drop_table("usecase_changes")
