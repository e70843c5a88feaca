"""answers keep the question, the answer and its citations, for evaluators reading feedback

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Answers from before have none of these: the feedback list shows them as unknown.
    with op.batch_alter_table("answers") as batch:
        batch.add_column(sa.Column("question", sa.Text(), nullable=True))
        batch.add_column(sa.Column("answer", sa.Text(), nullable=True))
        batch.add_column(sa.Column("citations", sa.JSON(), nullable=True))
    with op.batch_alter_table("feedback") as batch:
        batch.create_index("ix_feedback_created_at", ["created_at"])


def downgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.drop_index("ix_feedback_created_at")
    with op.batch_alter_table("answers") as batch:
        batch.drop_column("citations")
        batch.drop_column("answer")
        batch.drop_column("question")
