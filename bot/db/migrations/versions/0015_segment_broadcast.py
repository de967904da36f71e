"""broadcasts to chosen communes or topics (issue 18 item 6): newsletter_issues gets a kind
(newsletter | alert) and a segment (communes, topics, topic_days)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("newsletter_issues") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(12), nullable=False, server_default="newsletter")
        )
        batch.add_column(sa.Column("communes", sa.Text(), nullable=True))
        batch.add_column(sa.Column("topics", sa.Text(), nullable=True))
        batch.add_column(sa.Column("topic_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("newsletter_issues") as batch:
        batch.drop_column("topic_days")
        batch.drop_column("topics")
        batch.drop_column("communes")
        batch.drop_column("kind")
