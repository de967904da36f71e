"""Webhook intake on PostgreSQL in one round trip: the recipients' messaging window and the
inbox rows in a single statement, committed on its own (autocommit), on the event loop.

Through the writer thread, a webhook cost a hop to the thread and back and three round trips
(upsert, insert, COMMIT), each a wake-up of the PostgreSQL backend and of the thread: on a busy
machine, waking processes took far longer than the statements. One statement, sent from the
event loop on a connection kept for intake, makes that one round trip (figures in the README).

Only message, postback and attachment events take this path; follows, unfollows and receipts
(rarer, with other effects) go through the writer (bot/pipeline/inbox.py).

Every wait here is bounded: the whole store by `ack_timeout_s`, a new connection by
`connect_timeout_s`, the statement by the server's statement_timeout too. Past the bound the
webhook answers 503 and the platform delivers again. A connection that failed, or was
interrupted mid-statement, is closed and its slot opens a new one at the next webhook: a dead
connection is replaced, never awaited or reused.
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
ACK_TIMEOUT_S = 5.0
CONNECT_TIMEOUT_S = 3.0

# Rows in event order (ids follow it, and with them the order of turns); a duplicate delivery
# (same platform event id) is stored once and not returned.
_STORE = """
WITH ev AS (
    SELECT * FROM unnest(
        $1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
        $8::text[], $9::bool[], $11::text[], $12::timestamptz[], $13::text[]
    ) WITH ORDINALITY AS e(platform, event_id, page_id, user_ref, kind, text, payload,
                           platform_user_id, refresh, claimed_by, claimed_until,
                           attachment_url, n)
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
                   status, attempts, claimed_by, claimed_until, attachment_url)
SELECT platform, event_id, page_id, user_ref, kind, text, payload, $10,
       'pending', 0, claimed_by, claimed_until, attachment_url
FROM ev ORDER BY n
ON CONFLICT (platform, event_id) DO NOTHING
RETURNING platform, user_ref
"""


def asyncpg_dsn(database_url: str) -> str:
    url = sync_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class IntakeTimeout(asyncio.TimeoutError):
    """Not stored within the bound: nothing was acknowledged."""


class PostgresIntake:
    """`size` connections kept for intake, each in a slot: an open connection, or None (one
    is opened when the slot is taken)."""

    def __init__(
        self,
        database_url: str,
        *,
        ack_timeout_s: float = ACK_TIMEOUT_S,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
        size: int = POOL_SIZE,
    ) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._ack_s = ack_timeout_s
        self._connect_s = min(connect_timeout_s, ack_timeout_s)
        self.size = size
        self._slots: asyncio.Queue[asyncpg.Connection | None] = asyncio.Queue()
        for _ in range(size):
            self._slots.put_nowait(None)
        self._open: set[asyncpg.Connection] = set()
        self._closed = False
        self.replaced = 0  # connections closed after a failure, a timeout or by the server

    @property
    def connections(self) -> int:
        """Connections open now."""
        return sum(1 for conn in self._open if not conn.is_closed())

    async def warm(self, now: datetime) -> None:
        """Open the connections and prepare the statement on each, before the first webhooks
        (otherwise the first ones wait for both). Nothing is stored; a database that is down
        is left be."""
        taken: list[asyncpg.Connection] = []
        # Those to close and replace; None until known (then all of them).
        broken: set[asyncpg.Connection] | None = None
        try:
            # All held at once, so each is a connection of its own.
            for _ in range(self.size):
                taken.append(await asyncio.wait_for(self._take(), self._ack_s))
            # No events: the statement is prepared on each, nothing is stored.
            nothing: tuple[list[str], ...] = ([],) * 9
            results = await asyncio.wait_for(
                asyncio.gather(
                    *(c.fetch(_STORE, *nothing, now, [], [], []) for c in taken),
                    return_exceptions=True,
                ),
                self._ack_s,
            )
            broken = {c for c, r in zip(taken, results, strict=True) if isinstance(r, Exception)}
            if broken:
                log.warning("intake connections not opened in advance: %d failed", len(broken))
        except Exception as exc:
            log.warning("intake connections not opened in advance: %s", type(exc).__name__)
        finally:
            # Also when cancelled (a shutdown during start): every slot goes back.
            for conn in taken:
                self._put_back(conn, broken=broken is None or conn in broken)

    async def close(self) -> None:
        """Close every connection at once, idle or in use (a webhook still storing answers
        503): closing never waits on the server."""
        self._closed = True
        for conn in self._open:
            conn.terminate()
        self._open.clear()

    async def store(
        self,
        events: Sequence[InboundEvent],
        refs: Sequence[str],
        texts: Sequence[str | None],
        refresh: Sequence[bool],
        now: datetime,
        claimed_by: Sequence[str | None],
        claimed_until: Sequence[datetime | None],
        attachment_urls: Sequence[str | None] | None = None,
    ) -> list[tuple[str, str]]:
        """Store `events` (all of FAST_KINDS); the conversations that got a new row. Raises
        IntakeTimeout past `ack_timeout_s`, whatever it waited on."""
        columns = (
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
            # An image's address, for the scam check to read (bot/pipeline/inbox.py image_url).
            list(attachment_urls) if attachment_urls is not None else [None] * len(events),
        )
        try:
            rows = await asyncio.wait_for(self._fetch(columns), self._ack_s)
        except asyncio.TimeoutError as exc:
            raise IntakeTimeout(f"not stored within {self._ack_s:g} s") from exc
        return [(row["platform"], row["user_ref"]) for row in rows]

    async def _fetch(self, columns: tuple[object, ...]) -> list[asyncpg.Record]:
        conn = await self._take()
        try:
            rows = await conn.fetch(_STORE, *columns)
        except BaseException:
            # Failed or interrupted mid-statement: its state is unknown, so it is not reused.
            self._put_back(conn, broken=True)
            raise
        self._put_back(conn, broken=False)
        return list(rows)

    async def _take(self) -> asyncpg.Connection:
        conn = await self._slots.get()
        if conn is not None and not conn.is_closed():
            return conn
        if conn is not None:
            self._open.discard(conn)  # closed by the server meanwhile
        if self._closed:
            self._slots.put_nowait(None)
            raise ConnectionError("intake closed")
        try:
            conn = await asyncpg.connect(
                self._dsn,
                timeout=self._connect_s,
                # The server gives up on a statement (behind a lock, say) a little before the
                # webhook does, so that connection stays usable.
                server_settings={"statement_timeout": str(int(self._ack_s * 800))},
            )
        except BaseException:
            self._slots.put_nowait(None)
            raise
        self._open.add(conn)
        return conn

    def _put_back(self, conn: asyncpg.Connection, *, broken: bool) -> None:
        if broken or conn.is_closed():
            self._open.discard(conn)
            conn.terminate()
            self.replaced += 1
            self._slots.put_nowait(None)
        else:
            self._slots.put_nowait(conn)
