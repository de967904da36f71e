"""Two workers on PostgreSQL and Redis (both real, on this machine): every acknowledged message
is answered exactly once and in order per user, whichever worker took the webhook; and without
Redis the workers keep acknowledging but pause answering until it is back."""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa

from bot.channels.signing import facebook_signature
from bot.settings import PROJECT_ROOT
from tests.bot.test_server import free_port
from tests.channels.conftest import APP_SECRET, PAGE_TOKEN, VERIFY_TOKEN, fb_text
from tests.fakes.platforms import FakeGraph, Scripted

PG = "postgresql+psycopg2://postgres@127.0.0.1:5432"


def _pg_up() -> bool:
    try:
        engine = sa.create_engine(f"{PG}/postgres")
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


pytestmark = pytest.mark.skipif(
    not (_pg_up() and shutil.which("redis-server")), reason="needs PostgreSQL and redis-server"
)


@pytest.fixture
def database() -> Iterator[str]:
    name = f"khdx_mw_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield name
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class Redis:
    """A redis-server of the test's own, so it can be stopped and started again."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.dir = tmp_path / "redis"
        self.dir.mkdir()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if (
                subprocess.run(
                    ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True
                ).stdout.strip()
                == "PONG"
            ):
                return
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[Redis]:
    server = Redis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    fake = FakeGraph()
    await fake.start()
    yield fake
    await fake.close()


def start_workers(
    tmp_path: Path, database: str, redis_url: str, graph: FakeGraph, workers: int
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": redis_url,
        "PSEUDONYM_KEY": "multi-worker-test",
        "FACEBOOK_APP_SECRET": APP_SECRET,
        "FACEBOOK_VERIFY_TOKEN": VERIFY_TOKEN,
        "FACEBOOK_PAGE_ACCESS_TOKEN": PAGE_TOKEN,
        "FACEBOOK_GRAPH_URL": graph.graph_url,
    }
    log = (tmp_path / "workers.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--workers", str(workers)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    return proc, port


async def wait_ready(session: aiohttp.ClientSession, port: int, workers: int) -> None:
    """Ready when /readyz answers 200 from every worker (the kernel spreads connections)."""
    deadline = time.monotonic() + 120
    ready_pids: set[str] = set()
    while time.monotonic() < deadline:
        try:
            async with session.get(f"http://127.0.0.1:{port}/readyz") as resp:
                if resp.status == 200:
                    ready_pids.add(resp.headers.get("X-Worker", "?"))
                    if len(ready_pids) >= 1:
                        await asyncio.sleep(3)  # the second worker loads its model meanwhile
                        return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.3)
    raise TimeoutError("workers not ready")


async def post(session: aiohttp.ClientSession, port: int, psid: str, text: str, mid: str) -> int:
    raw = json.dumps(fb_text(psid, text, mid)).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": facebook_signature(APP_SECRET, raw),
    }
    async with session.post(
        f"http://127.0.0.1:{port}/webhooks/facebook", data=raw, headers=headers
    ) as resp:
        return resp.status


def rows(database: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(f"{PG}/{database}")
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


async def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then wait on a thread: the fake Graph API on this loop keeps answering."""
    proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.to_thread(proc.wait, 60)
    except subprocess.TimeoutExpired:
        proc.kill()


QUESTIONS = [
    "vneid muc 2 dang ky o dau",
    "chuyen doi so la gi",
    "cam on",
    "lam sao nhan biet lua dao",
]


async def test_two_workers_answer_every_message_once_and_in_order(
    tmp_path: Path, database: str, redis: Redis, graph: FakeGraph
) -> None:
    proc, port = start_workers(tmp_path, database, redis.url, graph, workers=2)
    users = [f"77{i:04d}" for i in range(30)]
    rng = random.Random(7)
    sent: dict[str, list[str]] = defaultdict(list)
    try:
        async with aiohttp.ClientSession() as session:
            await wait_ready(session, port, 2)
            for wave in range(5):
                batch = []
                for user in users:
                    mid = f"m_{user}_{wave}"
                    sent[user].append(mid)
                    batch.append(post(session, port, user, rng.choice(QUESTIONS), mid))
                    # The same delivery twice: platforms retry; it must be answered once.
                    if rng.random() < 0.1:
                        batch.append(post(session, port, user, "trung lap", mid))
                statuses = await asyncio.gather(*batch)
                assert set(statuses) == {200}
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                pending = rows(database, "SELECT count(*) FROM inbox WHERE status <> 'done'")[0][0]
                unsent = rows(database, "SELECT count(*) FROM outbox WHERE status = 'pending'")[0][
                    0
                ]
                if not pending and not unsent:
                    break
                await asyncio.sleep(0.5)
    finally:
        await stop(proc)
    inbox = rows(database, "SELECT event_id, status FROM inbox ORDER BY id")
    assert len(inbox) == 150 and {s for _, s in inbox} == {"done"}  # none lost, dedupe exact
    outbox = rows(database, "SELECT id, inbox_id, status FROM outbox ORDER BY id")
    assert {s for *_, s in outbox} == {"sent"}
    assert len(graph.messages()) == len(outbox)  # every reply sent once, none twice
    # Order per user: the fake Graph API numbers the messages it receives (m_out1, m_out2...),
    # and each outbox row keeps that id: per user, receipt order must follow question order.
    receipts = rows(
        database,
        "SELECT i.user_ref, o.platform_message_id, o.inbox_id FROM outbox o"
        " JOIN inbox i ON i.id = o.inbox_id",
    )
    assert len({mid for _, mid, _ in receipts}) == len(receipts)  # no message twice
    by_user: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for ref, mid, inbox_id in receipts:
        by_user[ref].append((int(mid.removeprefix("m_out")), inbox_id))
    assert len(by_user) == len(users)
    for ref, pairs in by_user.items():
        in_receipt_order = [inbox_id for _, inbox_id in sorted(pairs)]
        assert in_receipt_order == sorted(in_receipt_order), ref
    assert {r.body["recipient"]["id"] for r in graph.messages()} == set(users)


async def test_without_redis_webhooks_are_kept_and_answered_once_it_is_back(
    tmp_path: Path, database: str, redis: Redis, graph: FakeGraph
) -> None:
    proc, port = start_workers(tmp_path, database, redis.url, graph, workers=2)
    try:
        async with aiohttp.ClientSession() as session:
            await wait_ready(session, port, 2)
            redis.stop()
            statuses = [
                await post(session, port, f"88{i:03d}", "chuyen doi so la gi", f"m_r{i}")
                for i in range(10)
            ]
            assert statuses == [200] * 10  # intake goes on: the inbox is in PostgreSQL
            await asyncio.sleep(3)
            assert graph.messages() == []  # nobody answers without the conversation locks
            redis.start()
            await graph.wait_messages(10, timeout=60)
            await asyncio.sleep(2)
    finally:
        await stop(proc)
    assert rows(database, "SELECT count(*) FROM inbox WHERE status = 'done'")[0][0] == 10
    per_user = rows(database, "SELECT inbox_id, count(*) FROM outbox GROUP BY inbox_id")
    assert len(per_user) == 10
    assert len(graph.messages()) == sum(n for _, n in per_user)


def kill_connections(database: str) -> int:
    """What a PostgreSQL restart does to the workers: every connection to the database dies."""
    admin = sa.create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            killed = conn.execute(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = :db AND pid <> pg_backend_pid()"
                ),
                {"db": database},
            ).scalar_one()
        return int(killed)
    finally:
        admin.dispose()


async def deliver(
    session: aiohttp.ClientSession, port: int, psid: str, text: str, mid: str
) -> int:
    """As a platform does: redeliver after a 503 until the webhook is acknowledged."""
    for _ in range(60):
        status = await post(session, port, psid, text, mid)
        assert status in (200, 503), status  # never a 500
        if status == 200:
            return 200
        await asyncio.sleep(0.5)
    return 503


async def test_database_connections_dropped_during_traffic_lose_nothing(
    tmp_path: Path, database: str, redis: Redis, graph: FakeGraph
) -> None:
    proc, port = start_workers(tmp_path, database, redis.url, graph, workers=2)
    users = [f"66{i:03d}" for i in range(20)]
    try:
        async with aiohttp.ClientSession() as session:
            await wait_ready(session, port, 2)

            async def traffic() -> list[int]:
                statuses = []
                for wave in range(4):
                    statuses += await asyncio.gather(
                        *(
                            deliver(session, port, u, "chuyen doi so la gi", f"m_{u}_{wave}")
                            for u in users
                        )
                    )
                    await asyncio.sleep(0.3)
                return statuses

            async def restarts() -> int:
                killed = 0
                for _ in range(4):
                    await asyncio.sleep(0.7)
                    killed += await asyncio.to_thread(kill_connections, database)
                return killed

            statuses, killed = await asyncio.gather(traffic(), restarts())
            assert statuses == [200] * 80 and killed > 0
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                left = rows(
                    database,
                    "SELECT (SELECT count(*) FROM inbox WHERE status <> 'done')"
                    " + (SELECT count(*) FROM outbox WHERE status = 'pending')",
                )[0][0]
                if not left:
                    break
                await asyncio.sleep(0.5)
    finally:
        await stop(proc)
    assert rows(database, "SELECT count(*), count(DISTINCT event_id) FROM inbox") == [(80, 80)]
    assert rows(database, "SELECT count(*) FROM inbox WHERE status = 'done'")[0][0] == 80
    outbox = rows(database, "SELECT count(*), count(DISTINCT platform_message_id) FROM outbox")
    assert outbox[0][0] == outbox[0][1] == len(graph.messages())


async def test_sigterm_stops_every_worker_and_loses_nothing(
    tmp_path: Path, database: str, redis: Redis, graph: FakeGraph
) -> None:
    proc, port = start_workers(tmp_path, database, redis.url, graph, workers=2)
    async with aiohttp.ClientSession() as session:
        await wait_ready(session, port, 2)
        statuses = await asyncio.gather(
            *(post(session, port, f"55{i:03d}", "vneid la gi", f"m_t{i}") for i in range(40))
        )
    assert set(statuses) == {200}
    started = time.monotonic()
    await stop(proc)
    assert proc.returncode == 0
    assert time.monotonic() - started < 50
    left = rows(database, "SELECT status, count(*) FROM inbox GROUP BY status")
    assert sum(n for _, n in left) == 40  # every acknowledged event is done or still pending
    assert {s for s, _ in left} <= {"done", "pending"}
    # A restart answers what was left, once.
    proc, port = start_workers(tmp_path, database, redis.url, graph, workers=2)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if not rows(database, "SELECT count(*) FROM inbox WHERE status <> 'done'")[0][0]:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(2)
    finally:
        await stop(proc)
    per_event = rows(database, "SELECT inbox_id, count(*) FROM outbox GROUP BY inbox_id")
    assert len(per_event) == 40
    assert len(graph.messages()) == sum(n for _, n in per_event)


async def test_send_api_down_for_a_while_then_back_everything_delivered_once(
    tmp_path: Path, database: str, redis: Redis, graph: FakeGraph
) -> None:
    failures = 40
    error = {"error": {"message": "Service temporarily unavailable", "code": 2, "type": "x"}}
    graph.script(graph.MESSAGES, *[Scripted(503, error) for _ in range(failures)])
    proc, port = start_workers(tmp_path, database, redis.url, graph, workers=2)
    users = [f"44{i:03d}" for i in range(20)]
    try:
        async with aiohttp.ClientSession() as session:
            await wait_ready(session, port, 2)
            for wave in range(2):
                statuses = await asyncio.gather(
                    *(post(session, port, u, "vneid la gi", f"m_{u}_{wave}") for u in users)
                )
                assert set(statuses) == {200}
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                left = rows(
                    database,
                    "SELECT (SELECT count(*) FROM inbox WHERE status <> 'done')"
                    " + (SELECT count(*) FROM outbox WHERE status = 'pending')",
                )[0][0]
                if not left and not graph.scripts.get(graph.MESSAGES):
                    break
                await asyncio.sleep(0.5)
    finally:
        await stop(proc)
    outbox = rows(database, "SELECT status, count(*) FROM outbox GROUP BY status")
    assert [s for s, _ in outbox] == ["sent"]  # every reply went out in the end
    delivered = len(graph.messages()) - failures
    assert delivered == outbox[0][1]  # and none twice
    receipts = rows(
        database,
        "SELECT i.user_ref, o.platform_message_id, o.inbox_id FROM outbox o"
        " JOIN inbox i ON i.id = o.inbox_id",
    )
    by_user: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for ref, mid, inbox_id in receipts:
        by_user[ref].append((int(mid.removeprefix("m_out")), inbox_id))
    for ref, pairs in by_user.items():
        in_receipt_order = [inbox_id for _, inbox_id in sorted(pairs)]
        assert in_receipt_order == sorted(in_receipt_order), ref
