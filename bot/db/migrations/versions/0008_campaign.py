"""campaign features: newsletter subscriptions and issues, events (`campaign_events`: Rasa's
tracker table is `events`), the writing contest,
volunteers' offline guidance sessions

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("citizens") as batch:
        batch.add_column(sa.Column("newsletter", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("newsletter_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("issue_id", sa.Integer(), nullable=True))
    op.create_table(
        "newsletter_issues",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(300), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("queued", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("skipped", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name="pk_newsletter_issues"),
    )
    op.create_table(
        "campaign_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("commune", sa.String(64), nullable=True),
        sa.Column("link", sa.String(300), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_campaign_events"),
    )
    op.create_index("ix_campaign_events_starts_at", "campaign_events", ["starts_at"])
    op.create_table(
        "writing_contest",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("link", sa.String(300), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_writing_contest"),
    )
    op.create_table(
        "contest_submissions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("reference", sa.String(24), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("user_ref", sa.String(64), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("contact_name", sa.String(100), nullable=True),
        sa.Column("commune", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_contest_submissions"),
    )
    op.create_index("ix_contest_submissions_user_ref", "contest_submissions", ["user_ref"])
    op.create_table(
        "guidance_sessions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("volunteer", sa.String(64), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("commune", sa.String(64), nullable=False),
        sa.Column("residents", sa.Integer(), nullable=False),
        sa.Column("topics", sa.String(200), nullable=False),
        sa.Column("notes", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_guidance_sessions"),
    )
    op.create_index("ix_guidance_sessions_held_on", "guidance_sessions", ["held_on"])


def downgrade() -> None:
    op.drop_table("guidance_sessions")
    op.drop_table("contest_submissions")
    op.drop_table("writing_contest")
    op.drop_table("campaign_events")
    op.drop_table("newsletter_issues")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("issue_id")
    with op.batch_alter_table("citizens") as batch:
        batch.drop_column("newsletter_at")
        batch.drop_column("newsletter")
