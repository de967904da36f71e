"""With several workers a citizen's next message may reach another worker: the session part
(current conversation, topic of the last answer, fallbacks in a row) must follow them there,
through Redis, and never land in the database for a citizen who did not consent."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from bot.conversation.citizens import SESSION_TTL_S, CitizenRegistry, RedisSessions
from bot.db.engine import create_engine
from bot.db.migrate import upgrade
from bot.db.writer import BatchWriter
from tests.multiworker.conftest import Redis

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)


async def test_the_session_follows_the_citizen_to_another_worker(
    tmp_path: Path, redis: Redis
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/shared.db"
    upgrade(url)
    engine, writer = create_engine(url), BatchWriter(url)
    workers = [
        CitizenRegistry(
            engine, writer, lambda: NOW, cache=False, sessions=RedisSessions(redis.url)
        )
        for _ in range(2)
    ]
    try:
        first = await workers[0].get("facebook", "ref-a")
        first.conversation_id, first.last_at, first.last_topic = 41, NOW, "vneid"
        first.fallbacks_in_row = 1
        await workers[0].end_turn(first)

        there = await workers[1].get("facebook", "ref-a")
        assert there.conversation_id == 41 and there.last_at == NOW
        assert there.last_topic == "vneid" and there.fallbacks_in_row == 1
        assert not there.new_conversation(NOW)  # the same conversation, not a new one
        # Nothing of a citizen who did not consent went to the database.
        with sqlite3.connect(tmp_path / "shared.db") as db:
            assert db.execute("SELECT count(*) FROM citizens").fetchone() == (0,)
        ttl = int(
            (
                await asyncio.to_thread(
                    subprocess.run,
                    ["redis-cli", "-p", str(redis.port), "ttl", "khdx:session:ref-a"],
                    capture_output=True,
                    text=True,
                )
            ).stdout
        )
        assert 0 < ttl <= SESSION_TTL_S  # forgotten after an hour idle

        # Erased on request: no session left for any worker.
        workers[1].forget("ref-a")
        await workers[1].close()
        again = await workers[0].get("facebook", "ref-a")
        assert again.conversation_id is None and again.fallbacks_in_row == 0

        # Redis down: the turn goes on with a new session.
        redis.stop()
        alone = await workers[0].get("facebook", "ref-b")
        alone.fallbacks_in_row = 1
        await workers[0].end_turn(alone)
        assert (await workers[0].get("facebook", "ref-b")).fallbacks_in_row == 0
    finally:
        await workers[0].close()
        await writer.stop()
        await engine.dispose()
