"""harvesting other repositories: sources, provenance of harvested records, held records

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "harvest_sources",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("cursor", sa.String(length=64), nullable=True),
        sa.Column("etag", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_report", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "harvested_records",
        sa.Column("usecase_id", sa.String(length=80), nullable=False),
        sa.Column("source_name", sa.String(length=40), nullable=False),
        sa.Column("remote_id", sa.String(length=300), nullable=False),
        sa.Column("remote_url", sa.String(length=1000), nullable=False),
        sa.Column("remote_revision", sa.Integer(), nullable=True),
        sa.Column("licence", sa.String(length=200), nullable=True),
        sa.Column("harvested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duplicate_of", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("usecase_id"),
    )
    op.create_index("ix_harvested_records_source_name", "harvested_records", ["source_name"])
    op.create_index("ix_harvested_records_duplicate_of", "harvested_records", ["duplicate_of"])
    op.create_table(
        "harvest_held",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_name", sa.String(length=40), nullable=False),
        sa.Column("remote_id", sa.String(length=300), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("source_name", "remote_id"),
    )
    op.create_index("ix_harvest_held_source_name", "harvest_held", ["source_name"])


def downgrade() -> None:
    op.drop_table("harvest_held")
    op.drop_index("ix_harvested_records_duplicate_of", table_name="harvested_records")
    op.drop_index("ix_harvested_records_source_name", table_name="harvested_records")
    op.drop_table("harvested_records")
    op.drop_table("harvest_sources")
