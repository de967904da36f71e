"""engagement: per-message records in both directions, conversations, citizens, feedback

`turns` becomes `messages` (its rows are the inbound messages); outbound replies get rows too.
`citizens` holds what a citizen chose: consent, their commune, what the assistant is waiting for.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_turns_created_at", table_name="turns")
    op.rename_table("turns", "messages")
    with op.batch_alter_table("messages", recreate="auto") as batch:
        batch.add_column(sa.Column("direction", sa.String(3), nullable=False, server_default="in"))
        batch.add_column(sa.Column("conversation_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("text", sa.Text(), nullable=True))
        batch.add_column(sa.Column("outbox_id", sa.Integer(), nullable=True))
        batch.alter_column("topic", existing_type=sa.String(32), nullable=True)
        batch.alter_column("confidence", existing_type=sa.Float(), nullable=True)
        batch.alter_column("fallback", existing_type=sa.Boolean(), nullable=True)
        batch.alter_column("latency_ms", existing_type=sa.Float(), nullable=True)
        batch.alter_column("replies", existing_type=sa.Integer(), nullable=True)
    op.create_index("ix_messages_created_at", "messages", ["created_at"])
    op.create_index("ix_messages_user_ref", "messages", ["user_ref"])

    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("user_ref", sa.String(64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_conversations"),
    )
    op.create_index("ix_conversations_started_at", "conversations", ["started_at"])
    op.create_index("ix_conversations_user_ref", "conversations", ["user_ref"])

    op.create_table(
        "citizens",
        sa.Column("user_ref", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("consent", sa.String(12), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("commune", sa.String(64), nullable=True),
        sa.Column("awaiting", sa.String(16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_ref", name="pk_citizens"),
    )

    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("user_ref", sa.String(64), nullable=True),
        sa.Column("topic", sa.String(32), nullable=True),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feedback"),
    )
    op.create_index("ix_feedback_created_at", "feedback", ["created_at"])


def downgrade() -> None:
    op.drop_table("feedback")
    op.drop_table("citizens")
    op.drop_table("conversations")
    op.drop_index("ix_messages_user_ref", table_name="messages")
    op.drop_index("ix_messages_created_at", table_name="messages")
    op.execute("DELETE FROM messages WHERE direction = 'out'")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("outbox_id")
        batch.drop_column("text")
        batch.drop_column("conversation_id")
        batch.drop_column("direction")
    op.rename_table("messages", "turns")
    op.create_index("ix_turns_created_at", "turns", ["created_at"])
