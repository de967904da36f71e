"""The gateway's tables (SQLAlchemy Core metadata shared with Alembic).

Records an admin can see hold pseudonymous user references only (`user_ref`), never a raw
platform id. Rasa's own tracker table (`events`) lives beside these and is not described here.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

# One row per user message the assistant handled: what it understood and how fast.
turns = Table(
    "turns",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("user_ref", String(64), nullable=True),
    Column("intent", String(64), nullable=True),
    Column("topic", String(32), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("fallback", Boolean, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("replies", Integer, nullable=False),
)
Index("ix_turns_created_at", turns.c.created_at)
