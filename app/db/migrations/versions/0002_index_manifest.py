"""ingestion manifest

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "index_manifest",
        sa.Column("doc_id", sa.String(length=120), nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("doc_type", sa.String(length=40), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("parser", sa.String(length=40), nullable=False),
        sa.Column("chunking", sa.String(length=80), nullable=False),
        sa.Column("embedding_model", sa.String(length=300), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("doc_id"),
    )
    op.create_index("ix_index_manifest_source", "index_manifest", ["source"])


def downgrade() -> None:
    op.drop_index("ix_index_manifest_source", table_name="index_manifest")
    op.drop_table("index_manifest")
