"""Seeing and erasing one's data, everywhere (tracker included), and the retention limit."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

from aiohttp.test_utils import TestClient

from bot.db.migrate import upgrade
from bot.db.writer import BatchWriter
from bot.engine.runner import AssistantRunner
from bot.engine.stores import sql_tracker_store
from bot.features.data_rights.erasure import apply_retention
from bot.runtime.app import create_app
from bot.settings import Settings
from bot.web.edge import ref_for
from tests.conftest import ClientFactory
from tests.fakes.channels import web_sender


def db_path(settings: Settings) -> Path:
    return Path(settings.database_url.split("///", 1)[1])


def count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


async def say(client: TestClient, text: str, sender: str = "browser-erase") -> str:
    resp = await client.post(
        "/webhooks/web", json={"sender": web_sender(client.app, sender), "message": text}
    )
    assert resp.status == 200
    return "\n".join(r["text"] for r in (await resp.json())["replies"])


async def test_web_user_sees_then_erases_their_data_tracker_included(
    aiohttp_client: ClientFactory, settings: Settings, model_path: Path
) -> None:
    # A runner whose tracker store is the app's own database, as in production.
    upgrade(settings.database_url)
    runner = AssistantRunner(
        model_path, tracker_store_factory=lambda d: sql_tracker_store(settings.database_url, d)
    )
    await runner.load()
    try:
        client = await aiohttp_client(create_app(settings, runner=runner))
        first = await say(client, "chuyen doi so la gi")
        assert "mình xin lưu câu hỏi của bạn" in first  # the consent notice, after the answer
        await say(client, "/consent_accept")
        await say(client, "vneid muc 2 dang ky o dau")
        await say(client, "xin chao", sender="someone-else")
        await say(client, "/consent_accept", sender="someone-else")
        seen = await say(client, "xem dữ liệu của tôi")
        # Before consent nothing was stored with the reference; this request is included.
        assert "Mình đang lưu về bạn: 3 tin nhắn" in seen
        assert "data_rights (2)" in seen
        assert "vneid (1)" in seen
        assert "dx_basics" not in seen
        assert "Bạn đã đồng ý cho lưu dữ liệu." in seen

        ask = await say(client, "xóa dữ liệu của tôi")
        assert "không khôi phục được" in ask
        done = await say(client, "/data_delete_confirm")
        assert "đã xóa toàn bộ dữ liệu" in done

        db = db_path(settings)
        ref = ref_for(client.app, "web", "web", "browser-erase")
        tables = ("messages", "conversations", "feedback", "citizens", "inbox", "outbox")
        for table in (*tables, "recipients", "dead_letters"):
            assert count(db, f"SELECT COUNT(*) FROM {table} WHERE user_ref = '{ref}'") == 0  # noqa: S608
        assert count(db, f"SELECT COUNT(*) FROM events WHERE sender_id = 'web:{ref}'") == 0  # noqa: S608
        # The other user's data is untouched.
        other = ref_for(client.app, "web", "web", "someone-else")
        assert count(db, f"SELECT COUNT(*) FROM messages WHERE user_ref = '{other}'") > 0  # noqa: S608
        assert count(db, f"SELECT COUNT(*) FROM citizens WHERE user_ref = '{other}'") == 1  # noqa: S608
        assert count(db, f"SELECT COUNT(*) FROM events WHERE sender_id = 'web:{other}'") > 0  # noqa: S608
        # Audited without personal data.
        with sqlite3.connect(db) as conn:
            audit = conn.execute(
                "SELECT action, channel, rows FROM audit_log WHERE action = 'erase'"
            ).fetchall()
        assert audit[0][:2] == ("erase", "web")
        assert audit[0][2] > 0
        assert ref not in str(audit)
        # A new first contact: nothing stored, and the notice is shown again.
        after = await say(client, "xem dữ liệu của tôi")
        assert "Hiện mình chưa lưu câu hỏi nào của bạn" in after
        assert "mình xin lưu câu hỏi của bạn" in after
    finally:
        await runner.stop()


async def test_retention_deletes_what_is_older_than_the_limit(settings: Settings) -> None:
    upgrade(settings.database_url)
    db = db_path(settings)
    now = datetime(2026, 11, 26, tzinfo=timezone.utc)
    old, recent = now - timedelta(days=400), now - timedelta(days=10)
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS events"
            " (id INTEGER PRIMARY KEY, sender_id TEXT, timestamp REAL)"
        )
        for when, ref in ((old, "old"), (recent, "new")):
            stamp = when.strftime("%Y-%m-%d %H:%M:%S.%f")
            conn.execute(
                "INSERT INTO messages (created_at, channel, user_ref, intent, topic, confidence,"
                " fallback, latency_ms, replies)"
                " VALUES (?, 'web', ?, 'greet', 'smalltalk', 1, 0, 5, 1)",
                (stamp, ref),
            )
            conn.execute(
                "INSERT INTO recipients (user_ref, platform, page_id, platform_user_id,"
                " first_seen_at, last_inbound_at, followed)"
                " VALUES (?, 'facebook', 'p', ?, ?, ?, NULL)",
                (ref, f"raw-{ref}", stamp, stamp),
            )
            conn.execute(
                "INSERT INTO events (sender_id, timestamp) VALUES (?, ?)", (ref, when.timestamp())
            )
            conn.execute(
                "INSERT INTO conversations (channel, user_ref, started_at, last_at, messages)"
                " VALUES ('web', ?, ?, ?, 1)",
                (ref, stamp, stamp),
            )
            conn.execute(
                "INSERT INTO feedback (created_at, channel, user_ref, topic, helpful)"
                " VALUES (?, 'web', ?, 'vneid', 1)",
                (stamp, ref),
            )
            conn.execute(
                "INSERT INTO citizens (user_ref, channel, consent, created_at, updated_at)"
                " VALUES (?, 'web', 'granted', ?, ?)",
                (ref, stamp, stamp),
            )
    writer = BatchWriter(settings.database_url)
    removed = await apply_retention(writer, 365, now)
    await writer.stop()
    assert removed == 6
    with sqlite3.connect(db) as conn:
        for table in ("messages", "conversations", "feedback", "citizens"):
            assert conn.execute(f"SELECT user_ref FROM {table}").fetchall() == [("new",)]  # noqa: S608
        assert conn.execute("SELECT user_ref FROM recipients").fetchall() == [("new",)]
        assert conn.execute("SELECT sender_id FROM events").fetchall() == [("new",)]
        assert conn.execute("SELECT action, rows FROM audit_log").fetchall() == [("retention", 6)]
