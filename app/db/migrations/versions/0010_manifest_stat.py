"""the ingestion manifest keeps each source's stamp (a file's size and modification time, a
record's revision), so that unchanged sources are skipped before they are read

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows from before have no stamp: their documents are read and hashed once more, as
    # before, and get one.
    with op.batch_alter_table("index_manifest") as batch:
        batch.add_column(sa.Column("source_stamp", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("index_manifest") as batch:
        batch.drop_column("source_stamp")
