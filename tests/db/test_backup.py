"""Backup and restore (`python -m bot backup FILE`, `python -m bot restore FILE`): a backup
taken while the assistant runs restores into a fresh database with every row of every table;
the file is readable by its owner only; a database that holds rows is never overwritten by
mistake."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from bot.db.backup import BackupError, backup, head_revision, restore
from bot.db.engine import sync_url
from bot.db.migrate import upgrade
from bot.db.models import metadata
from bot.settings import PROJECT_ROOT
from tests.fakes.channels import Channels, fb_text, zalo_event
from tests.fakes.postgres import fresh_databases

WHEN = datetime(2026, 11, 30, 8, 15, 30, 123456, tzinfo=timezone.utc)
ODD_TEXT = "Khánh Hòa: 'nháy' \"kép\" \\ %s ; DROP TABLE x; -- 🙂\n\tdòng 2\u200b\u202e"


def _value(column: sa.Column, i: int) -> Any:
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return i % 2 == 0
    if isinstance(kind, sa.Integer):
        return 1000 + i
    if isinstance(kind, sa.Float):
        return i + 1 / 3
    if isinstance(kind, sa.DateTime):
        moment = WHEN + timedelta(days=i, microseconds=i)
        return moment if kind.timezone else moment.replace(tzinfo=None)
    if isinstance(kind, sa.Date):
        return date(2026, 1, 1) + timedelta(days=i)
    if isinstance(kind, sa.String) and kind.length:  # String(n); Text has no length
        return f"{i}-{column.name}-{ODD_TEXT}"[: kind.length]
    return f"{i}-{column.name}-{ODD_TEXT}" * (1 + 200 * i)


def fill_every_table(url: sa.engine.URL, rows: int = 3) -> None:
    """`rows` rows in every table of the metadata, through the models: odd text, NULLs where
    allowed, time zones, dates, booleans, floats; ids from the database's own sequences."""
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            for i in range(rows):
                values = {
                    c.name: None if (i == 2 and c.nullable and not c.primary_key) else _value(c, i)
                    for c in table.columns
                    if not (c.primary_key and c.autoincrement is True)
                }
                conn.execute(table.insert().values(**values))
    engine.dispose()


def dump(url: sa.engine.URL) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the database, in a stable order."""
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        reflected = sa.MetaData()
        reflected.reflect(conn)
        tables = {
            name: sorted((tuple(row) for row in conn.execute(sa.select(table))), key=repr)
            for name, table in reflected.tables.items()
        }
    engine.dispose()
    return tables


def assert_same_rows(before: dict[str, list[tuple[Any, ...]]], after: dict[str, list]) -> None:
    assert set(metadata.tables) | {"alembic_version"} <= set(before)
    assert sorted(after) == sorted(before)
    for name, rows in before.items():
        assert after[name] == rows, name
    assert all(before[name] for name in metadata.tables), "every table has rows"


def private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == 0o600


def run_bot(*args: str, database_url: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "VAR_DIR": str(tmp_path / "var"),
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# -- SQLite --------------------------------------------------------------------------------


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def test_sqlite_backup_of_the_running_assistant_restores_every_row(
    channels: Channels, tmp_path: Path
) -> None:
    """Citizens write on Messenger and Zalo, the assistant answers, then a backup is taken
    while it still runs, restored into a fresh file: every table has the same rows."""
    channels.consented("facebook", "2001", "2002")
    for n, text in enumerate(["chuyển đổi số là gì", "cách cài VNeID", "sđt 0938111223"]):
        resp = await channels.post_facebook(fb_text(f"200{1 + n % 2}", text, f"m_bk{n}"))
        assert resp.status == 200
    for n, text in enumerate(["xin chào", "dịch vụ công trực tuyến"]):
        event = zalo_event("user_send_text", "24684588", f"z_bk{n}", text=text)
        event["timestamp"] = str(int(time.time() * 1000))  # a fresh delivery, not a replay
        resp = await channels.post_zalo(event)
        assert resp.status == 200
    await channels.graph.wait_messages(3)
    await channels.zalo.wait_for(channels.zalo.SEND, 2)
    # Running but idle: a reply settling between the backup and the comparison is no loss.
    for _ in range(600):
        busy = channels.count("outbox", "status IN ('pending', 'sending')")
        if not busy and not channels.count("inbox", "status = 'pending'"):
            break
        await asyncio.sleep(0.05)
    live = sync_url(channels.settings.database_url)
    fill_every_table(live)
    assert channels.count("inbox") >= 5 and channels.count("messages") >= 5
    assert channels.count("outbox", "status = 'sent'") >= 5

    saved = tmp_path / "backup" / "khdx.sqlite"
    saved.parent.mkdir()
    backup(channels.settings.database_url, saved)  # the app is still running
    assert private(saved)
    assert not Path(f"{saved}-wal").exists()

    fresh = tmp_path / "restored" / "assistant.db"
    restored = restore(sqlite_url(fresh), saved)
    assert restored.current and restored.revision == head_revision(sqlite_url(fresh))
    assert private(fresh)
    assert_same_rows(dump(live), dump(sync_url(sqlite_url(fresh))))


def test_sqlite_backup_is_consistent_while_another_process_writes(tmp_path: Path) -> None:
    live = tmp_path / "live.db"
    upgrade(sqlite_url(live))
    fill_every_table(sync_url(sqlite_url(live)))
    stop = threading.Event()
    written: list[int] = []

    def keep_writing() -> None:
        conn = sqlite3.connect(live, timeout=10)
        n = 0
        while not stop.is_set():
            with conn:
                conn.execute(
                    "INSERT INTO feedback (created_at, channel, helpful) VALUES (?, 'web', 1)",
                    (str(WHEN),),
                )
            n += 1
            written.append(n)
        conn.close()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while len(written) < 50:
            stop.wait(0.01)
        backup(sqlite_url(live), tmp_path / "b.sqlite")
    finally:
        stop.set()
        writer.join()
    restore(sqlite_url(tmp_path / "r.db"), tmp_path / "b.sqlite")
    with sqlite3.connect(tmp_path / "r.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        copied = conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]
    assert 3 + 50 <= copied <= 3 + len(written)


def test_sqlite_restore_refuses_a_database_with_rows_unless_forced(tmp_path: Path) -> None:
    source, target = tmp_path / "a.db", tmp_path / "b.db"
    upgrade(sqlite_url(source))
    fill_every_table(sync_url(sqlite_url(source)), rows=1)
    backup(sqlite_url(source), tmp_path / "a.sqlite")
    upgrade(sqlite_url(target))
    with sqlite3.connect(target) as conn:
        conn.execute(
            "INSERT INTO feedback (created_at, channel, helpful) VALUES ('2026-11-30', 'web', 1)"
        )
    with pytest.raises(BackupError, match="not empty"):
        restore(sqlite_url(target), tmp_path / "a.sqlite")
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT COUNT(*) FROM feedback").fetchone() == (1,)
    with pytest.raises(BackupError, match="already exists"):
        backup(sqlite_url(source), tmp_path / "a.sqlite")

    restore(sqlite_url(target), tmp_path / "a.sqlite", force=True)
    assert_same_rows(dump(sync_url(sqlite_url(source))), dump(sync_url(sqlite_url(target))))


# -- PostgreSQL ----------------------------------------------------------------------------


@pytest.fixture
def fresh_database() -> Iterator[Any]:
    """A factory of fresh databases named khdx_bk_<random>, all dropped at the end."""
    with fresh_databases("khdx_bk") as make:
        # The assistant's own driver, as DATABASE_URL names it.
        yield lambda: make().replace("postgresql+psycopg2", "postgresql+asyncpg")


def test_postgres_backup_restores_every_row_into_a_fresh_database(
    fresh_database: Any, tmp_path: Path
) -> None:
    live = fresh_database()
    upgrade(live)
    fill_every_table(sync_url(live))
    saved = tmp_path / "khdx.dump"

    made = run_bot("backup", str(saved), database_url=live, tmp_path=tmp_path)
    assert made.returncode == 0, made.stderr
    assert private(saved)
    assert saved.read_bytes().startswith(b"PGDMP")

    target = fresh_database()
    back = run_bot("restore", str(saved), database_url=target, tmp_path=tmp_path)
    assert back.returncode == 0, back.stderr
    assert_same_rows(dump(sync_url(live)), dump(sync_url(target)))
    # The sequences came back too: the next row gets a new id, not a duplicate key.
    engine = sa.create_engine(sync_url(target), poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(
            metadata.tables["feedback"]
            .insert()
            .values(created_at=WHEN, channel="web", helpful=True)
        )
    engine.dispose()


def test_postgres_restore_refuses_a_database_with_rows_unless_forced(
    fresh_database: Any, tmp_path: Path
) -> None:
    live, target = fresh_database(), fresh_database()
    for url in (live, target):
        upgrade(url)
    fill_every_table(sync_url(live), rows=2)
    fill_every_table(sync_url(target), rows=1)
    kept = dump(sync_url(target))
    saved = tmp_path / "khdx.dump"
    assert run_bot("backup", str(saved), database_url=live, tmp_path=tmp_path).returncode == 0

    refused = run_bot("restore", str(saved), database_url=target, tmp_path=tmp_path)
    assert refused.returncode == 2
    assert "--force" in refused.stderr
    assert dump(sync_url(target)) == kept

    forced = run_bot("restore", str(saved), "--force", database_url=target, tmp_path=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert_same_rows(dump(sync_url(live)), dump(sync_url(target)))


def test_a_backup_of_the_other_kind_is_refused(fresh_database: Any, tmp_path: Path) -> None:
    source = tmp_path / "a.db"
    upgrade(sqlite_url(source))
    backup(sqlite_url(source), tmp_path / "a.sqlite")
    with pytest.raises(BackupError, match="pg_dump"):
        restore(fresh_database(), tmp_path / "a.sqlite")
