"""At rest: the database and the keys are readable by the service's account only, whatever the
umask, and a sent reply's body keeps no raw phone number for the retention period."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
import stat
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from bot.db.models import metadata, outbox
from bot.engine.runner import AssistantRunner
from bot.pipeline.claims import abandon_sends
from bot.runtime.app import create_app
from tests.conftest import ClientFactory
from tests.fakes.channels import Channels, fb_text, login_volunteer
from tests.fakes.settings import make_settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    previous = os.umask(0)
    yield
    os.umask(previous)


async def start(aiohttp_client: ClientFactory, tmp_path: Path, runner: AssistantRunner) -> Path:
    """An assistant started on tmp_path/var that has answered one web chat message."""
    client: TestClient = await aiohttp_client(create_app(make_settings(tmp_path), runner=runner))
    session = await client.post("/webhooks/web/session")
    sender = (await session.json())["sender"] if session.status == 200 else "browser-1"
    resp = await client.post("/webhooks/web", json={"sender": sender, "message": "xin chào"})
    assert resp.status == 200
    return tmp_path / "var"


async def test_a_new_database_and_its_keys_are_owner_only_whatever_the_umask(
    aiohttp_client: ClientFactory, tmp_path: Path, runner: AssistantRunner, loose_umask: None
) -> None:
    var = await start(aiohttp_client, tmp_path, runner)
    assert mode(var) == 0o700
    database = var / "test.db"
    assert (var / "test.db-wal").exists()  # WAL: the journal files exist while it runs
    for path in [database, *var.glob("test.db-*"), *var.glob("*.key")]:
        assert mode(path) == 0o600, path


async def test_an_older_readable_database_is_tightened_at_start(
    aiohttp_client: ClientFactory, tmp_path: Path, runner: AssistantRunner
) -> None:
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    os.chmod(var, 0o755)  # noqa: S103 (the looser folder of an older install)
    sqlite3.connect(var / "test.db").close()
    (var / "admin_session.key").write_text("a" * 64 + "\n")
    for path in (var / "test.db", var / "admin_session.key"):
        os.chmod(path, 0o644)
    await start(aiohttp_client, tmp_path, runner)
    assert mode(var) == 0o700
    assert mode(var / "test.db") == 0o600
    assert mode(var / "admin_session.key") == 0o600


async def test_a_volunteer_reply_is_sent_whole_and_kept_masked(channels: Channels) -> None:
    graph = channels.graph
    channels.consented("facebook", "4471")
    await channels.post_facebook(fb_text("4471", "cho tôi gặp người hỗ trợ", "m_ar1"))
    await graph.wait_messages(1)
    csrf = await login_volunteer(channels)
    queue = await (await channels.client.get("/admin/handoffs")).text()
    handoff_id = int(re.search(r'href="/admin/handoffs/(\d+)"', queue).group(1))  # type: ignore[union-attr]
    await channels.client.post(f"/admin/handoffs/{handoff_id}/claim", data={"csrf": csrf})
    await graph.wait_messages(2)
    reply = "Bạn gọi cán bộ xã số 0905123456, mật khẩu: Khanh@Hoa2025 nhé."
    resp = await channels.client.post(
        f"/admin/handoffs/{handoff_id}/reply", data={"csrf": csrf, "text": reply}
    )
    assert resp.status == 200
    sent = await graph.wait_messages(3)
    assert sent[-1].body["message"]["text"] == reply  # the citizen gets it whole

    for _ in range(40):  # the row is marked sent just after the send
        statuses = {status for (status,) in channels.rows("SELECT status FROM outbox")}
        if statuses == {"sent"}:
            break
        await asyncio.sleep(0.05)
    bodies = "\n".join(body for (body,) in channels.rows("SELECT body FROM outbox"))
    assert "[số điện thoại]" in bodies and "[mật khẩu]" in bodies
    assert "0905123456" not in bodies and "Khanh@Hoa2025" not in bodies


def test_a_send_abandoned_by_a_dead_worker_keeps_no_raw_number(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    metadata.create_all(engine)
    now = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
    body = json.dumps({"text": "Bạn gọi tình nguyện viên số 0938111223 nhé"}, ensure_ascii=False)
    with engine.begin() as conn:
        conn.execute(
            outbox.insert().values(
                platform="facebook", page_id="p", user_ref="r", body=body, created_at=now,
                status="sending", attempts=1, next_attempt_at=now, claimed_by="w1",
                claimed_until=now - timedelta(minutes=1),
            )
        )  # fmt: skip
        assert abandon_sends(conn, now) == 1
        status, kept = conn.execute(sa.select(outbox.c.status, outbox.c.body)).one()
    assert status == "unknown"
    assert "0938111223" not in kept and "tình nguyện viên" in kept
