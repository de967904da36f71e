"""The outbox relay: sends stored replies through the platform Send APIs.

Per conversation, replies leave strictly in order (a row is sent only once every earlier row of
that user is settled). Connection errors, 5xx and rate limits are retried with exponential
backoff and jitter; permanent errors (outside the window, user blocked, bad recipient) and
exhausted retries go to dead letters; a timeout after the request left is recorded as `unknown`
rather than risking a duplicate (neither platform takes an idempotency key). Features act
before or after the send of their kinds of rows through hooks (bot/pipeline/hooks.py): the
relay imports no feature.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.base import SendResult
from bot.channels.recipients import RecipientDirectory
from bot.channels.send import Sender
from bot.core.privacy import mask_body
from bot.db.models import outbox
from bot.db.writer import BatchWriter
from bot.metrics import Metrics
from bot.pipeline.claims import UNSETTLED, abandon_sends, claim_send, claimable
from bot.pipeline.hooks import OutboundHooks
from bot.pipeline.inbox import dead_letter
from bot.pipeline.locks import LocalLocks, Locks
from bot.pipeline.ratelimit import RateLimiter
from bot.pipeline.scheduling import ConversationWorkers

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BASE_BACKOFF_S = 1.0
MAX_BACKOFF_S = 300.0
POLL_INTERVAL_S = 0.5
MAX_CONCURRENT_SENDS = 32


def backoff_s(attempts: int, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter; a platform's retry-after wins when longer."""
    ceiling = min(MAX_BACKOFF_S, BASE_BACKOFF_S * (2 ** max(0, attempts - 1)))
    delay = random.uniform(ceiling / 2, ceiling)
    return max(delay, retry_after or 0.0)


INFLIGHT_GRACE_S = 35.0
# Built once; the SET clause comes from each call's parameters.
_UPDATE_ROW = update(outbox).where(outbox.c.id == bindparam("row_id"))
ABANDON_EVERY = timedelta(seconds=15)
RECORD_ATTEMPTS = 10


class Relay(ConversationWorkers):
    poll_interval_s = POLL_INTERVAL_S

    def __init__(
        self,
        engine: AsyncEngine,
        writer: BatchWriter,
        directory: RecipientDirectory,
        senders: Mapping[str, Sender],
        limiter: RateLimiter,
        clock: Callable[[], datetime],
        *,
        worker_id: str,
        hooks: OutboundHooks | None = None,
        metrics: Metrics | None = None,
        locks: Locks | None = None,
    ) -> None:
        super().__init__()
        self._me = worker_id
        self._hooks = hooks or OutboundHooks()
        self._metrics = metrics or Metrics()
        self._locks: Locks = locks or LocalLocks()
        self._engine = engine
        self._writer = writer
        self._directory = directory
        self._senders = senders
        self._limiter = limiter
        self._clock = clock
        self._semaphore = asyncio.Semaphore(MAX_CONCURRENT_SENDS)
        self._inflight: set[asyncio.Future[bool]] = set()
        self._abandoned_at: datetime | None = None
        self.sent = 0

    async def _scan(self) -> None:
        now = self._clock()
        if self._abandoned_at is None or (now - self._abandoned_at) >= ABANDON_EVERY:
            await self._abandon_stale_sends(now, first=self._abandoned_at is None)
            self._abandoned_at = now
        # The oldest unsettled row of each conversation, if it is due and nobody else's.
        heads = (
            select(func.min(outbox.c.id).label("id"))
            # Web chat rows are fetched by the page (bot/web/webchat.py), not sent.
            .where(outbox.c.status.in_(UNSETTLED), outbox.c.platform.in_(list(self._senders)))
            .group_by(outbox.c.platform, outbox.c.user_ref)
        ).subquery()
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(outbox.c.platform, outbox.c.user_ref)
                    .join(heads, outbox.c.id == heads.c.id)
                    .where(
                        outbox.c.status == "pending",
                        outbox.c.next_attempt_at <= now,
                        claimable(outbox, self._me, now),
                    )
                    .order_by(outbox.c.id)
                    .limit(500)
                )
            ).all()
        for row in rows:
            self._start((row.platform, row.user_ref))

    async def _abandon_stale_sends(self, now: datetime, *, first: bool) -> None:
        def work(conn: Connection) -> int:
            return abandon_sends(conn, now, self._me if first else None)

        abandoned = await self._writer.write(work)
        if abandoned:
            log.warning("%d replies on the wire when a worker died: recorded unknown", abandoned)
            self._metrics.errors.labels("send_abandoned").inc(abandoned)

    async def _work(self, key: tuple[str, str], first: Any) -> None:
        """Send this conversation's due rows in order until one must wait."""
        try:
            async with self._locks.hold(f"send:{key[0]}:{key[1]}") as mine:
                if not mine:  # another worker sends this conversation's messages
                    return
                # The scan's row may be stale (sent meanwhile by the worker that held the
                # conversation): the table says what is still due, and the claim is atomic.
                row = await self._claim_next(key)
                while row is not None and not self._stopping:
                    on_the_wire = False
                    try:
                        async with self._semaphore:
                            # Waiting for a send slot or a rate-limit token may be cut short by
                            # a stop; the send itself may not.
                            await self._limiter.bucket(row.platform, row.page_id).acquire()
                            if self._stopping:
                                return
                            # Shielded: a stop never leaves a message sent but not recorded as
                            # sent (it would go out again after the restart); `stop` waits.
                            delivery = asyncio.ensure_future(self._deliver(row))
                            on_the_wire = True
                            self._inflight.add(delivery)
                            delivery.add_done_callback(self._inflight.discard)
                            settled = await asyncio.shield(delivery)
                    finally:
                        if not on_the_wire:  # claimed but never sent: back in the queue
                            await asyncio.shield(self._update(row.id, status="pending"))
                    if not settled:
                        return
                    row = await self._claim_next(key)
        except Exception as exc:
            log.error("relay conversation failed: %s", type(exc).__name__)

    async def stop(self, timeout: float) -> None:
        """Stop at once: conversations waiting for a send slot or a rate-limit token are
        cancelled (nothing was sent for them), while sends already on the wire finish and are
        recorded, so nothing is sent twice after a restart."""
        self._stopping = True
        self._wake.set()
        tasks = list(self._active.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._inflight:
            await asyncio.wait(set(self._inflight), timeout=max(timeout, INFLIGHT_GRACE_S))

    async def _claim_next(self, key: tuple[str, str]) -> Any:
        """The next row, claimed; a claim that a stop cuts short goes back to pending."""
        claim = asyncio.ensure_future(self._next_due(key))
        try:
            row = await asyncio.shield(claim)
        except asyncio.CancelledError:
            row = await claim
            if row is not None:
                await self._update(row.id, status="pending")
            raise
        if row is not None and self._stopping:
            await self._update(row.id, status="pending")
            return None
        return row

    async def _next_due(self, key: tuple[str, str]) -> Any:
        """Claim the conversation's next row to send (pending -> sending), or None."""
        now = self._clock()

        def work(conn: Connection) -> Any:
            return claim_send(conn, key, self._me, now)

        return await self._writer.write(work)

    async def _deliver(self, row: Any) -> bool:
        """Try to send one row; True when it is settled (sent, dead or unknown)."""
        sender = self._senders.get(row.platform)
        user_id = await self._user_id(row.user_ref)
        if sender is None or user_id is None:
            await self._settle(row, "dead", reason="no sender or recipient for this row")
            return True
        skipped = await self._hooks.skip_reason(row)
        if skipped is not None:  # e.g. unsubscribed after the newsletter issue was queued
            await self._update(
                row.id, status="cancelled", last_error=skipped, body=mask_body(row.body)
            )
            return True
        body = json.loads(row.body)
        result = await sender.send(user_id, body, messaging_type=row.messaging_type)
        settled = await self._record(row, result)
        if settled:
            await self._hooks.after_send(row)
        return settled

    async def _record(self, row: Any, result: SendResult) -> bool:
        attempts = row.attempts + 1
        now = self._clock()
        if result.ok:
            # Lazy: lost in a PostgreSQL crash, the row would stay `sending` and be recorded
            # `unknown` (bot/pipeline/claims.py), never sent again.
            await self._update(
                row.id,
                lazy=True,
                status="sent",
                attempts=attempts,
                sent_at=now,
                platform_message_id=result.message_id,
                last_error=None,
                # Never sent again: what stays for the retention period is masked.
                body=mask_body(row.body),
            )
            self.sent += 1
            self._metrics.messages_out.labels(row.platform, "sent").inc()
            return True
        if result.extra.get("ambiguous"):
            await self._settle(row, "unknown", reason=result.error or "timeout", attempts=attempts)
            return True
        if result.retryable and attempts < MAX_ATTEMPTS:
            if result.retry_after_s:
                self._limiter.bucket(row.platform, row.page_id).pause(result.retry_after_s)
            delay = backoff_s(attempts, result.retry_after_s)
            await self._update(
                row.id,
                status="pending",
                attempts=attempts,
                next_attempt_at=now + timedelta(seconds=delay),
                last_error=(result.error or "")[:300],
            )
            log.warning("send failed (%s), retry %d in %.1f s", result.error, attempts, delay)
            self._metrics.errors.labels("send_retry").inc()
            return False
        await self._settle(
            row, "dead", reason=result.error or "permanent error", attempts=attempts
        )
        return True

    async def _settle(
        self, row: Any, status: str, *, reason: str, attempts: int | None = None
    ) -> None:
        now = self._clock()
        await self._update(
            row.id,
            status=status,
            attempts=attempts or row.attempts,
            last_error=reason[:300],
            body=mask_body(row.body),
        )
        self._metrics.messages_out.labels(row.platform, status).inc()
        if status == "dead":
            log.warning("reply dead-lettered: %s", reason)
            self._metrics.dead_letters.labels(row.platform, "out").inc()
            await dead_letter(
                self._writer,
                platform=row.platform,
                direction="out",
                reason=reason,
                body=row.body,
                now=now,
                ref=row.user_ref,
            )

    async def _update(self, row_id: int, *, lazy: bool = False, **values: Any) -> None:
        """Record a row's new state. After a send this must not be lost (the row would be sent
        again), so a failing database is retried for a while (e.g. PostgreSQL restarting)."""

        def work(conn: Connection) -> None:
            conn.execute(_UPDATE_ROW, {"row_id": row_id, **values})

        for attempt in range(RECORD_ATTEMPTS):
            try:
                await self._writer.write(work, lazy=lazy)
                return
            except Exception as exc:
                if attempt == RECORD_ATTEMPTS - 1:
                    raise
                log.warning("recording a send failed (%s); retrying", type(exc).__name__)
                await asyncio.sleep(min(0.2 * 2**attempt, 3.0))

    async def _user_id(self, ref: str) -> str | None:
        return await self._directory.platform_user_id(ref)
