"""Queue tables on PostgreSQL are vacuumed when their dead rows pile up (this machine's
PostgreSQL runs without autovacuum, as some servers do): the scans for pending rows then stop
walking rows answered long ago."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import sqlalchemy as sa

from bot.db.engine import create_engine
from bot.db.maintenance import vacuum_due
from bot.db.migrate import upgrade

ANSWERED = 3000


def dead_rows(conn: sa.Connection, table: str) -> int:
    return int(
        conn.execute(
            sa.text("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = :t"), {"t": table}
        ).scalar_one()
    )


async def test_a_queue_with_many_answered_rows_is_vacuumed_once(database: str) -> None:
    upgrade(database)
    sync = sa.create_engine(database)
    with sync.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO inbox (platform, event_id, page_id, user_ref, kind, received_at,"
                " status, attempts) SELECT 'facebook', 'm' || n, 'p', 'u' || (n % 50), 'text',"
                " now(), 'pending', 0 FROM generate_series(1, :n) AS n"
            ),
            {"n": ANSWERED},
        )
    with sync.begin() as conn:
        conn.execute(sa.text("UPDATE inbox SET status = 'done'"))  # every row answered
        # The backend reports its counts when idle, at most once a second unless asked.
        conn.execute(sa.text("SELECT pg_stat_force_next_flush()"))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with sync.connect() as conn:
            if dead_rows(conn, "inbox") >= ANSWERED:
                break
        await asyncio.sleep(0.2)
    else:
        raise AssertionError("PostgreSQL did not count the dead rows")
    engine = create_engine(database.replace("+psycopg2", "+asyncpg"))
    try:
        assert await vacuum_due(engine) == ["inbox"]
        with sync.connect() as conn:
            assert dead_rows(conn, "inbox") == 0
        assert await vacuum_due(engine) == []  # nothing due now
    finally:
        await engine.dispose()
        sync.dispose()


async def test_sqlite_needs_no_vacuum(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'q.db'}"
    upgrade(url)
    engine = create_engine(url)
    try:
        assert await vacuum_due(engine) == []
    finally:
        await engine.dispose()
