"""A PostgreSQL server that stops answering without closing its connections (tests/multiworker/
blackhole.py): webhook intake gives up within its bound, so the platform is answered 503 and
delivers again, and once a server answers again the dead connections have been replaced; a
gateway stuck on it still stops on SIGTERM in time, with everything it started."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest
import sqlalchemy as sa

from bot.channels.facebook.signing import facebook_signature
from bot.db.migrate import upgrade
from bot.pipeline.inbox import store_events
from bot.pipeline.intake import PostgresIntake
from tests.fakes.channels import APP_SECRET, fb_text
from tests.fakes.platforms import FakeGraph
from tests.multiworker.blackhole import Blackhole
from tests.multiworker.conftest import (
    Redis,
    deliver,
    left_running,
    post,
    rows,
    start_workers,
    stop,
    wait_ready,
)
from tests.multiworker.test_intake import NOW, message, ref

BOUND_S = 2.0
# Far beyond the bound: long enough to tell "answered late" from "never answered".
NEVER_S = 20.0


@pytest.fixture
async def blackhole() -> AsyncIterator[Blackhole]:
    proxy = Blackhole()
    await proxy.start()
    yield proxy
    await proxy.close()


async def store(intake: PostgresIntake, event_id: str) -> list[tuple[str, str]]:
    return await store_events(None, [message(event_id, "a", "xin chao")], ref, NOW, fast=intake)  # type: ignore[arg-type]


async def test_intake_gives_up_within_its_bound_and_replaces_dead_connections(
    database: str, blackhole: Blackhole
) -> None:
    upgrade(database)
    intake = PostgresIntake(blackhole.url(database), ack_timeout_s=BOUND_S, connect_timeout_s=1)
    try:
        await intake.warm(NOW)
        assert await store(intake, "m0")
        blackhole.silence()
        # Connections kept open and new ones alike: each store ends within the bound.
        for event_id in ("m1", "m2", "m3", "m4", "m5", "m6"):
            started = time.monotonic()
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(store(intake, event_id), NEVER_S)
            assert time.monotonic() - started < BOUND_S + 1.0
        blackhole.revive()
        # The platform delivers m1 again: stored on a new connection, the silent ones dropped.
        started = time.monotonic()
        stored = await asyncio.wait_for(store(intake, "m1"), NEVER_S)
        assert stored == [("facebook", "ref-psid-a")]
        assert time.monotonic() - started < BOUND_S + 1.0
    finally:
        await asyncio.wait_for(intake.close(), 5)
    assert rows(database, "SELECT event_id FROM inbox ORDER BY id") == [("m0",), ("m1",)]


async def test_a_statement_behind_a_lock_ends_within_the_bound(database: str) -> None:
    """A session holding the inbox table (a long migration, a stuck admin query): the webhook
    is answered 503 in time, and stored once the lock is gone."""
    upgrade(database)
    intake = PostgresIntake(database, ack_timeout_s=BOUND_S)
    engine = sa.create_engine(database, future=True)
    try:
        await intake.warm(NOW)
        with engine.connect() as holder:
            holder.execute(sa.text("LOCK TABLE inbox IN ACCESS EXCLUSIVE MODE"))
            started = time.monotonic()
            # Cancelled by the server's statement_timeout, or by the intake's own bound.
            with pytest.raises((asyncpg.QueryCanceledError, asyncio.TimeoutError)):
                await asyncio.wait_for(store(intake, "m1"), NEVER_S)
            assert time.monotonic() - started < BOUND_S + 1.0
            holder.rollback()
        assert await asyncio.wait_for(store(intake, "m1"), NEVER_S)
    finally:
        await asyncio.wait_for(intake.close(), 5)
        engine.dispose()
    assert rows(database, "SELECT event_id FROM inbox") == [("m1",)]


async def timed_post(
    session: aiohttp.ClientSession, port: int, psid: str, mid: str
) -> tuple[int, str | None, float]:
    """A signed Facebook message: the status, its Retry-After and how long the answer took."""
    raw = json.dumps(fb_text(psid, "chuyen doi so la gi", mid)).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": facebook_signature(APP_SECRET, raw),
    }
    started = time.monotonic()
    async with session.post(
        f"http://127.0.0.1:{port}/webhooks/facebook",
        data=raw,
        headers=headers,
        timeout=aiohttp.ClientTimeout(total=NEVER_S),
    ) as resp:
        return resp.status, resp.headers.get("Retry-After"), time.monotonic() - started


async def test_webhook_is_answered_503_in_time_while_the_database_is_silent(
    tmp_path: Path, database: str, redis: Redis, graph: FakeGraph, blackhole: Blackhole
) -> None:
    proc, port = start_workers(
        tmp_path,
        blackhole.url(database),
        redis.url,
        graph,
        workers=1,
        ACK_TIMEOUT_S=str(BOUND_S),
        DB_CONNECT_TIMEOUT_S="1",
        STOP_TIMEOUT_S="10",
    )
    try:
        async with aiohttp.ClientSession() as session:
            await wait_ready(session, port, 1)
            assert await post(session, port, "99001", "xin chao", "m_before") == 200
            blackhole.silence()
            # Never "no answer": 503 with Retry-After within the bound, each time.
            for attempt in range(3):
                status, retry_after, took = await timed_post(session, port, "99001", "m_during")
                assert (status, retry_after) == (503, "5"), attempt
                assert took < BOUND_S + 2.0, took
            blackhole.revive()
            # The platform delivers again: stored on new connections, not on the dead ones.
            assert await deliver(session, port, "99001", "chuyen doi so la gi", "m_during") == 200
    finally:
        await stop(proc)
    stored = rows(database, "SELECT event_id FROM inbox ORDER BY id")
    assert stored == [("m_before",), ("m_during",)]


async def test_gateway_stuck_on_a_silent_database_stops_on_sigterm_in_time(
    tmp_path: Path, database: str, redis: Redis, graph: FakeGraph, blackhole: Blackhole
) -> None:
    stop_s = 8.0
    proc, port = start_workers(
        tmp_path,
        blackhole.url(database),
        redis.url,
        graph,
        workers=2,
        STOP_TIMEOUT_S=str(stop_s),
    )
    async with aiohttp.ClientSession() as session:
        await wait_ready(session, port, 2)
        assert await post(session, port, "99002", "xin chao", "m_before") == 200
        blackhole.silence()
        # Webhooks, turns and sends all waiting on the silent server when the signal comes.
        in_flight = [
            asyncio.create_task(timed_post(session, port, f"9901{i}", f"m_stuck{i}"))
            for i in range(6)
        ]
        await asyncio.sleep(1.5)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            await asyncio.to_thread(proc.wait, stop_s + 30)
        took = time.monotonic() - started
        for task in in_flight:
            task.cancel()
        await asyncio.gather(*in_flight, return_exceptions=True)
    assert proc.returncode is not None and took < stop_s + 7.0, took
    # Nothing left: neither the workers nor the turn processes they started.
    await asyncio.sleep(1)
    assert left_running(proc) == []
