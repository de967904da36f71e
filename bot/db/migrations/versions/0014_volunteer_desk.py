"""volunteers' communes, canned replies, handoff ratings and outcomes (issue 18 item 3)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("commune", sa.String(64), nullable=True))
        batch.add_column(sa.Column("rating", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "volunteer_communes",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("commune", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("username", "commune", name="pk_volunteer_communes"),
    )
    op.create_index("ix_volunteer_communes_commune", "volunteer_communes", ["commune"])
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("title", sa.String(80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_canned_replies"),
    )
    op.create_table(
        "handoff_outcomes",
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("handoff_id", "outcome", name="pk_handoff_outcomes"),
    )


def downgrade() -> None:
    op.drop_table("handoff_outcomes")
    op.drop_table("canned_replies")
    op.drop_index("ix_volunteer_communes_commune", table_name="volunteer_communes")
    op.drop_table("volunteer_communes")
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_column("rated_at")
        batch.drop_column("rating")
        batch.drop_column("commune")
