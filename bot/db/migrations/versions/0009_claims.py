"""claims: which worker is answering an inbox row or sending an outbox row, and until when
(rows are claimed with FOR UPDATE SKIP LOCKED on PostgreSQL; a killed worker's claims expire)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("inbox", "outbox"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("claimed_by", sa.String(48), nullable=True))
            batch.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
    # The relay's scans look for unsettled rows per conversation, oldest first.
    op.create_index("ix_outbox_conversation", "outbox", ["platform", "user_ref", "status", "id"])
    op.create_index("ix_inbox_conversation", "inbox", ["platform", "user_ref", "status", "id"])


def downgrade() -> None:
    op.drop_index("ix_inbox_conversation", "inbox")
    op.drop_index("ix_outbox_conversation", "outbox")
    for table in ("inbox", "outbox"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("claimed_until")
            batch.drop_column("claimed_by")
