"""Webhook intake on PostgreSQL in one round trip: the recipients' messaging window and the
inbox rows in a single statement, committed on its own (autocommit), on the event loop.

Through the writer thread, a webhook cost a hop to the thread and back and three round trips
(upsert, insert, COMMIT), each a wake-up of the PostgreSQL backend and of the thread: on a busy
machine, waking processes took far longer than the statements. One statement, sent from the
event loop on a connection kept for intake, makes that one round trip (figures in the README).

Only message, postback and attachment events take this path; follows, unfollows and receipts
(rarer, with other effects) go through the writer (bot/pipeline/inbox.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from bot.channels.base import InboundEvent, Kind
from bot.db.engine import sync_url

log = logging.getLogger(__name__)
FAST_KINDS = frozenset({Kind.TEXT, Kind.POSTBACK, Kind.ATTACHMENT})
POOL_SIZE = 4  # concurrent webhooks being stored; more wait for a connection

# Rows in event order (ids follow it, and with them the order of turns); a duplicate delivery
# (same platform event id) is stored once and not returned.
_STORE = """
WITH ev AS (
    SELECT * FROM unnest(
        $1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
        $8::text[], $9::bool[], $11::text[], $12::timestamptz[]
    ) WITH ORDINALITY AS e(platform, event_id, page_id, user_ref, kind, text, payload,
                           platform_user_id, refresh, claimed_by, claimed_until, n)
), window_opened AS (
    INSERT INTO recipients AS r
        (user_ref, platform, page_id, platform_user_id, first_seen_at, last_inbound_at)
    SELECT DISTINCT ON (user_ref) user_ref, platform, page_id, platform_user_id, $10, $10
    FROM ev WHERE refresh ORDER BY user_ref, n DESC
    ON CONFLICT (user_ref) DO UPDATE
        SET platform_user_id = excluded.platform_user_id,
            last_inbound_at = excluded.last_inbound_at
)
INSERT INTO inbox (platform, event_id, page_id, user_ref, kind, text, payload, received_at,
                   status, attempts, claimed_by, claimed_until)
SELECT platform, event_id, page_id, user_ref, kind, text, payload, $10,
       'pending', 0, claimed_by, claimed_until
FROM ev ORDER BY n
ON CONFLICT (platform, event_id) DO NOTHING
RETURNING platform, user_ref
"""


def asyncpg_dsn(database_url: str) -> str:
    url = sync_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class PostgresIntake:
    def __init__(self, database_url: str) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._pool: asyncpg.Pool | None = None

    async def start(self) -> None:
        # Opened lazily too: a database that is down at start must not stop the gateway.
        self._pool = await asyncpg.create_pool(
            self._dsn,
            min_size=0,
            max_size=POOL_SIZE,
            command_timeout=10,
            # Kept open when idle: a quiet night must not make the next morning's first
            # webhooks open connections before they are stored.
            max_inactive_connection_lifetime=0,
        )

    async def warm(self, now: datetime) -> None:
        """Open the pool's connections and prepare the statement on each, before the first
        webhooks (otherwise the first ones wait for both). Nothing is stored; a database that
        is down is left be."""
        try:
            if self._pool is None:
                await self.start()
            assert self._pool is not None
            # All held at once, so each is a connection of its own.
            conns = [await self._pool.acquire() for _ in range(POOL_SIZE)]
            try:
                # No events: the statement is prepared on each, nothing is stored.
                nothing: tuple[list[str], ...] = ([],) * 9
                await asyncio.gather(*(c.fetch(_STORE, *nothing, now, [], []) for c in conns))
            finally:
                for conn in conns:
                    await self._pool.release(conn)
        except Exception as exc:
            log.warning("intake connections not opened in advance: %s", type(exc).__name__)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()

    async def store(
        self,
        events: Sequence[InboundEvent],
        refs: Sequence[str],
        texts: Sequence[str | None],
        refresh: Sequence[bool],
        now: datetime,
        claimed_by: Sequence[str | None],
        claimed_until: Sequence[datetime | None],
    ) -> list[tuple[str, str]]:
        """Store `events` (all of FAST_KINDS); the conversations that got a new row."""
        if self._pool is None:
            await self.start()
        assert self._pool is not None
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                _STORE,
                [e.platform for e in events],
                [e.event_id[:128] for e in events],
                [e.page_id for e in events],
                list(refs),
                [e.kind.value for e in events],
                list(texts),
                [e.payload or e.attachment_type or None for e in events],
                [e.user_id for e in events],
                list(refresh),
                now,
                list(claimed_by),
                list(claimed_until),
            )
        return [(row["platform"], row["user_ref"]) for row in rows]
