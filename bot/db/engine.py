"""Database engines: the gateway's async engine and the URLs Alembic and Rasa need.

One database holds the gateway's tables and Rasa's tracker store (Rasa's table is `events`,
a name our tables never use). SQLite (the default) runs in WAL mode so Rasa's synchronous
writes on the agent thread and the gateway's async writes do not block each other's reads.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

SQLITE_BUSY_TIMEOUT_MS = 10_000
# PostgreSQL: every wait has an end, so a dead connection or server fails the caller (a 503,
# a turn retried later) instead of holding it forever.
CONNECT_TIMEOUT_S = 3.0
POOL_TIMEOUT_S = 10.0  # all connections busy
STATEMENT_TIMEOUT_S = 60.0  # the longest report query included


def apply_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def ensure_sqlite_dir(url: str | URL) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def create_engine(url: str, *, connect_timeout_s: float = CONNECT_TIMEOUT_S) -> AsyncEngine:
    ensure_sqlite_dir(url)
    kwargs: dict[str, Any] = {"future": True}
    if make_url(url).get_backend_name() == "postgresql":
        # No pre-ping: it costs a round trip per checkout, several per message. A connection
        # that died with a restart fails once; SQLAlchemy then invalidates the pool and the
        # caller answers 503 / retries the turn later.
        kwargs.update(
            pool_size=10,
            max_overflow=10,
            pool_recycle=1800,
            pool_timeout=POOL_TIMEOUT_S,
            connect_args={
                "timeout": connect_timeout_s,
                "command_timeout": STATEMENT_TIMEOUT_S,
            },
        )
    else:
        # SQLAlchemy 1.4 gives file-based SQLite a NullPool: a new connection (and, with
        # aiosqlite, a new thread plus the PRAGMAs) for every statement. Keep a few open.
        kwargs.update(poolclass=AsyncAdaptedQueuePool, pool_size=5, max_overflow=5)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", apply_sqlite_pragmas)
    return engine


async def ping(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:  # any driver error means "not ready"
        return False
    return True


def sync_connect_args(
    url: str | URL, connect_timeout_s: float = CONNECT_TIMEOUT_S
) -> dict[str, Any]:
    """psycopg2's bounds on PostgreSQL (none for SQLite): a connection opens within
    `connect_timeout_s`, and one whose server went silent fails within seconds instead of the
    kernel's quarter of an hour of retransmissions (keepalives when idle, tcp_user_timeout
    when data waits unacknowledged)."""
    if make_url(url).get_backend_name() != "postgresql":
        return {}
    return {
        "connect_timeout": max(1, round(connect_timeout_s)),
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 3,
        "keepalives_count": 3,
        "tcp_user_timeout": 15_000,
    }


def sync_url(url: str) -> URL:
    """The same database for synchronous drivers (Alembic, Rasa's SQLTrackerStore)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite")
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg2")
    raise ValueError(f"unsupported database {backend!r}")


def database_unavailable(exc: BaseException) -> bool:
    """The database could not be reached or dropped the connection (restarting, network):
    worth retrying later, and no fault of the message being handled."""
    from sqlalchemy.exc import DBAPIError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    # asyncio's TimeoutError is not the builtin one before Python 3.11: a statement or a
    # connection that took too long is the database's state, not the message's fault.
    waited_too_long = (TimeoutError, asyncio.TimeoutError, PoolTimeout)
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (OperationalError, ConnectionError, *waited_too_long)):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        name = type(current).__name__
        if name in {
            "InterfaceError",
            "CannotConnectNowError",
            "ConnectionDoesNotExistError",
            "AdminShutdownError",
            "ConnectionFailureError",
            # A connection cut mid-operation can leave asyncpg's own state confused.
            "InternalClientError",
        }:
            return True  # asyncpg's names for a server that went away
        current = current.__cause__ or current.__context__
    return False
