"""outbox kind: what a queued message is ("reply", "newsletter", "handoff", "erasure"), so the
relay runs each feature's hooks by kind (bot/pipeline/hooks.py) instead of knowing features

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="reply"))
    # Rows queued before: a newsletter issue's carry its id, a handoff's have no inbox row.
    op.execute("UPDATE outbox SET kind = 'newsletter' WHERE issue_id IS NOT NULL")
    op.execute("UPDATE outbox SET kind = 'handoff' WHERE issue_id IS NULL AND inbox_id IS NULL")
    # An erasure's confirmation still queued was marked in its body: it keeps the mark's
    # meaning, and the relay no longer reads the body.
    mark = '"_erase_after_send":true'
    op.execute(
        sa.text(
            "UPDATE outbox SET kind = 'erasure',"
            " body = REPLACE(REPLACE(body, :last, ''), :first, '')"
            " WHERE body LIKE :marked AND status IN ('pending', 'sending')"
        ).bindparams(last="," + mark, first=mark + ",", marked=f"%{mark}%")
    )


    # "Get started" is mapped to /greet by the Facebook adapter now, no longer by the turn.
    op.execute(
        "UPDATE inbox SET payload = '/greet'"
        " WHERE payload = 'GET_STARTED' AND status = 'pending'"
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("kind")
