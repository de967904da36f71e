"""the review queue: reviewed examples that join the training data (issue 18 item 1)

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reviewed_examples",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(length=64), nullable=False),
        sa.Column("group_key", sa.String(length=64), nullable=False),
        sa.Column("reviewer", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_reviewed_examples"),
    )
    op.create_index("ix_reviewed_examples_intent", "reviewed_examples", ["intent"])
    op.create_table(
        "reviewed_messages",
        sa.Column("message_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("message_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("group_key", sa.String(length=64), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name="pk_reviewed_messages"),
    )


def downgrade() -> None:
    op.drop_table("reviewed_messages")
    op.drop_index("ix_reviewed_examples_intent", table_name="reviewed_examples")
    op.drop_table("reviewed_examples")
