"""Two workers on PostgreSQL and Redis (both real, on this machine): every acknowledged message
is answered exactly once and in order per user, whichever worker took the webhook; and without
Redis the workers keep acknowledging but pause answering until it is back."""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict
from pathlib import Path

import aiohttp

from tests.fakes.platforms import FakeGraph, Scripted
from tests.multiworker.conftest import (
    Redis,
    deliver,
    kill_connections,
    post,
    rows,
    start_workers,
    stop,
    wait_ready,
)


def metric(text: str, name: str) -> float:
    """The sum of a metric's samples in a Prometheus exposition (`name` may have labels)."""
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if (sample := line.rsplit(" ", 1)[0]) == name or sample.startswith(f"{name}{{")
    )


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
            # Turns run in each worker's turn process; a worker's /metrics counts them too.
            async with session.get(f"http://127.0.0.1:{port}/metrics") as resp:
                figures = await resp.text()
    finally:
        await stop(proc)
    assert metric(figures, "khdx_messages_in_total") > 0
    assert metric(figures, "khdx_turn_latency_seconds_count") > 0
    assert metric(figures, "khdx_messages_out_total") > 0
    # Each conversation's turns stay in one turn process, so its tracker is mostly reused from
    # memory rather than rebuilt from the database (measured 42 to 28: a new conversation is
    # read twice, at its first turn and after its session starts; alternating workers: ~0.4).
    memory = metric(figures, 'khdx_tracker_reads_total{source="memory"}')
    database_reads = metric(figures, 'khdx_tracker_reads_total{source="database"}')
    assert memory >= 0.8 * database_reads > 0, (memory, database_reads)
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
    # Affinity: a conversation is answered by the worker that owns it, whichever took the
    # webhook (a busy owner's turns may go to the other after a short lease, so "most").
    answered_by = rows(
        database, "SELECT user_ref, count(DISTINCT claimed_by) FROM outbox GROUP BY user_ref"
    )
    assert len(rows(database, "SELECT DISTINCT claimed_by FROM outbox")) == 2
    assert sum(1 for _, n in answered_by if n == 1) >= 0.8 * len(users)


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
