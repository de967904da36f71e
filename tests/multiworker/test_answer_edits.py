"""Two workers on PostgreSQL and Redis: an answer an admin edits through one worker's admin
pages is served by both workers at their next message, without a restart; a rollback brings the
old answer back on both."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import aiohttp

from actions.content import baseline
from bot.channels.facebook.signing import facebook_signature
from tests.fakes.channels import APP_SECRET, fb_text
from tests.fakes.loopback import LoopbackJar
from tests.fakes.platforms import FakeGraph
from tests.multiworker.conftest import Redis, rows, start_workers, stop, wait_ready

INTENT = "goodbye"
FILE_TEXT = baseline().answers[INTENT].messages[0]
NEW_TEXT = "Cảm ơn bạn! Bản sửa trên trang quản trị, mọi máy đều dùng ngay."
PASSWORD = "mat-khau-quan-tri-nhieu-may"
USERS = [f"88{i:04d}" for i in range(10)]


async def _token(session: aiohttp.ClientSession, url: str) -> str:
    async with session.get(url) as resp:
        found = re.search(r'name="csrf" value="([^"]+)"', await resp.text())
    assert found
    return found.group(1)


async def _tap(session: aiohttp.ClientSession, port: int, psid: str, mid: str) -> int:
    """A tap on the answer's quick reply, redelivered after a 503 as Messenger does."""
    raw = json.dumps(fb_text(psid, "Tạm biệt", mid, quick_reply=f"/{INTENT}")).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": facebook_signature(APP_SECRET, raw),
    }
    for _ in range(60):
        async with session.post(
            f"http://127.0.0.1:{port}/webhooks/facebook", data=raw, headers=headers
        ) as resp:
            if resp.status == 200:
                return 200
            assert resp.status == 503, resp.status  # never a 500
        await asyncio.sleep(0.5)
    return 503


async def _round(
    session: aiohttp.ClientSession, port: int, graph: FakeGraph, name: str, want: str
) -> set[str]:
    """Every user taps the answer's button once; the answer texts they got for it (waits until
    each user got `want` or two minutes passed)."""
    start = len(graph.messages())
    taps = await asyncio.gather(*(_tap(session, port, p, f"{name}_{p}") for p in USERS))
    assert set(taps) == {200}
    known = {FILE_TEXT, NEW_TEXT}
    got: dict[str, str] = {}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        got = {
            sent.body["recipient"]["id"]: text
            for sent in graph.messages()[start:]
            if (text := sent.body["message"].get("text", "")) in known
        }
        if len(got) == len(USERS) and set(got.values()) == {want}:
            break
        await asyncio.sleep(0.3)
    assert len(got) == len(USERS), f"{len(got)} of {len(USERS)} answered"
    return set(got.values())


async def test_an_edit_reaches_both_workers_at_their_next_message(
    tmp_path: Path, database: str, redis: Redis, graph: FakeGraph
) -> None:
    proc, port = start_workers(
        tmp_path, database, redis.url, graph, workers=2, ADMIN_PASSWORD=PASSWORD
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession(cookie_jar=LoopbackJar()) as session:
            await wait_ready(session, port, 2)
            # Both workers answer (and read the answers' generation) before the edit.
            assert await _round(session, port, graph, "before", FILE_TEXT) == {FILE_TEXT}

            token = await _token(session, f"{base}/admin/login")
            async with session.post(
                f"{base}/admin/login",
                data={"csrf": token, "username": "admin", "password": PASSWORD},
                allow_redirects=False,
            ) as resp:
                assert resp.status == 302
            token = await _token(session, f"{base}/admin/answers/{INTENT}")
            form = {"csrf": token, "after": "0", "title": "Tạm biệt", "message_1": NEW_TEXT}
            async with session.post(f"{base}/admin/answers/{INTENT}", data=form) as resp:
                assert resp.status == 200, await resp.text()

            assert await _round(session, port, graph, "after", NEW_TEXT) == {NEW_TEXT}
            workers = rows(
                database,
                "SELECT count(DISTINCT claimed_by) FROM inbox WHERE event_id LIKE 'after_%'",
            )[0][0]
            assert workers == 2, "both workers should have answered after the edit"

            token = await _token(session, f"{base}/admin/answers/{INTENT}/history")
            async with session.post(
                f"{base}/admin/answers/{INTENT}/rollback",
                data={"csrf": token, "version": "0", "after": "1"},
            ) as resp:
                assert resp.status == 200
            assert await _round(session, port, graph, "rollback", FILE_TEXT) == {FILE_TEXT}
    finally:
        await stop(proc)
