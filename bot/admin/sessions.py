"""Server-side admin sessions: a signed cookie is honoured only while its row lives, its account
is enabled and still has the role the session was opened with. Logout deletes the row;
disabling an account or changing its role deletes all of its rows."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from sqlalchemy import and_, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.admin.auth import Session
from bot.db.models import admin_sessions, admin_users
from bot.db.writer import BatchWriter


def _row_id(session: Session) -> str:
    # Only a hash is stored: a copy of the table opens no session.
    return hashlib.sha256(session.sid.encode()).hexdigest()


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


async def open_session(writer: BatchWriter, session: Session, now: float) -> None:
    """Record `session`, and forget the sessions that have expired."""

    def work(conn: Connection) -> None:
        conn.execute(admin_sessions.delete().where(admin_sessions.c.expires_at < _at(now)))
        conn.execute(
            admin_sessions.insert().values(
                id=_row_id(session),
                user_id=session.user_id,
                role=session.role,
                created_at=_at(now),
                expires_at=_at(session.expires),
            )
        )

    await writer.write(work)


async def is_open(engine: AsyncEngine, session: Session, now: float) -> bool:
    query = (
        select(admin_sessions.c.id)
        .select_from(
            admin_sessions.join(admin_users, admin_users.c.id == admin_sessions.c.user_id)
        )
        .where(
            and_(
                admin_sessions.c.id == _row_id(session),
                admin_sessions.c.user_id == session.user_id,
                admin_sessions.c.role == session.role,
                admin_sessions.c.expires_at > _at(now),
                admin_users.c.role == session.role,
                admin_users.c.disabled.is_(False),
            )
        )
    )
    async with engine.connect() as conn:
        return (await conn.execute(query)).first() is not None


async def close_session(writer: BatchWriter, session: Session) -> None:
    def work(conn: Connection) -> None:
        conn.execute(admin_sessions.delete().where(admin_sessions.c.id == _row_id(session)))

    await writer.write(work)


def close_sessions_of(conn: Connection, user_id: int) -> None:
    """In the transaction that disables the account or changes its role."""
    conn.execute(admin_sessions.delete().where(admin_sessions.c.user_id == user_id))
