"""recipients staff_reply_at, thread_away: a reply that page/OA staff sent from outside the
assistant, or a Messenger thread handed to another app, keeps the assistant quiet for that
citizen (bot/pipeline/dispatcher.py)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recipients") as batch:
        batch.add_column(sa.Column("staff_reply_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("thread_away", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recipients") as batch:
        batch.drop_column("thread_away")
        batch.drop_column("staff_reply_at")
