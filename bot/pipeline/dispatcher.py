"""Turns stored inbox rows into replies: one turn at a time per conversation, in arrival order,
many conversations at once. The replies go to the outbox in the same transaction that marks the
inbox row done, so a crash anywhere leaves the row pending and it is answered after restart.

While page/OA staff answer a citizen from outside the assistant (their last reply less than
`staff_pause` ago, or a Messenger thread handed to another app), that citizen's messages are
marked `held`: recorded, not answered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.base import ChannelAdapter, Kind
from bot.channels.recipients import RecipientDirectory
from bot.channels.send import Sender
from bot.conversation.recording import outbound_row
from bot.core.vntime import aware
from bot.db.engine import database_unavailable
from bot.db.models import inbox, messages, outbox, recipients
from bot.db.writer import BatchWriter
from bot.engine.runner import AssistantNotReady
from bot.pipeline.claims import INBOX_LEASE, SEND_LEASE, claim_inbox
from bot.pipeline.hints import Claim, ClaimFor
from bot.pipeline.hooks import REPLY
from bot.pipeline.inbox import encode_body
from bot.pipeline.locks import Locks
from bot.pipeline.scheduling import ConversationWorkers, Key

if TYPE_CHECKING:
    from bot.conversation.turn import Outcome

log = logging.getLogger(__name__)

GREET = "/greet"  # a postback without a payload is a greeting
# Attachments reach Rasa as intents: an image may be a screenshot of a scam message, which the scam
# check reads (its address goes with the turn) or, unread, gets the scam advice; stickers, voice,
# video, files and locations get a polite note.
ATTACHMENT_INTENTS = {"image": "/share_image"}
# More turns at once made acks slower, fewer lost throughput (README, benchmarks/).
MAX_CONCURRENT_CONVERSATIONS = 8
# Short: turns a busy worker left unclaimed wait for a scan, here or in another worker.
POLL_INTERVAL_S = 0.25
MAX_TURN_ATTEMPTS = 5
STAFF_PAUSE = timedelta(minutes=30)  # STAFF_PAUSE_MIN
HELD = "held"  # an inbox row not answered because staff were answering that citizen

# Statements built once, not per turn: building them is a cost on every message.
_MARK_DONE = (
    update(inbox)
    .where(inbox.c.id == bindparam("row_id"), inbox.c.status == "pending")
    # The text and the image's address were needed for the turn only; the record is `messages`
    # (with consent).
    .values(
        status="done",
        processed_at=bindparam("now"),
        attempts=bindparam("attempts"),
        text=None,
        attachment_url=None,
    )
)

_MARK_HELD = (
    update(inbox)
    .where(inbox.c.id == bindparam("row_id"), inbox.c.status == "pending")
    .values(status=HELD, processed_at=bindparam("now"), text=None, attachment_url=None)
)

# The conversation's oldest pending row, with whether staff are answering that citizen.
_NEXT_PENDING = (
    select(inbox, recipients.c.staff_reply_at, recipients.c.thread_away)
    .select_from(inbox.outerjoin(recipients, recipients.c.user_ref == inbox.c.user_ref))
    .where(
        inbox.c.platform == bindparam("platform"),
        inbox.c.user_ref == bindparam("ref"),
        inbox.c.status == "pending",
    )
    .order_by(inbox.c.id)
    .limit(1)
)


class Turn(Protocol):
    """One turn: (channel, user_ref, text, the address of an attached image) -> its outcome."""

    def __call__(
        self, channel: str, ref: str, text: str, attachment_url: str | None = None
    ) -> Awaitable[Outcome]: ...


def turn_text(kind: str, text: str | None, payload: str | None) -> str:
    """What Rasa is given for an inbox row."""
    if kind == Kind.FOLLOW.value:
        return "/follow"  # the welcome, and the newsletter offer (bot.conversation.turn)
    if kind == Kind.POSTBACK.value:
        return payload or GREET
    if kind == Kind.ATTACHMENT.value:
        return ATTACHMENT_INTENTS.get(payload or "", "/share_media")
    # A quick-reply tap carries its payload ("/vneid_level2"); typed text carries none.
    if payload and payload.startswith("/"):
        return payload
    return text or ""


def last_kind(outcome: Outcome) -> str:
    """The outbox kind of the outcome's last reply (bot/pipeline/hooks.py)."""
    return outcome.last_kind or REPLY


class Rendered:
    """A turn's replies as platform bodies, in order: each body with its outbox kind, and the
    text recorded for it in `messages` (the reply's on its first part: one record per message
    sent, the reply's text once)."""

    def __init__(self, adapter: ChannelAdapter, outcome: Outcome) -> None:
        self.bodies: list[str] = []
        self.kinds: list[str] = []
        self.texts: list[str | None] = []
        for reply in outcome.replies:
            parts = adapter.render([reply])
            self.bodies += [encode_body(part) for part in parts]
            self.kinds += [REPLY] * len(parts)
            self.texts += [reply.text, *([None] * (len(parts) - 1))][: len(parts)]
        if self.kinds:
            # The last body only: its hooks run once the whole answer is out.
            self.kinds[-1] = last_kind(outcome)


class Dispatcher(ConversationWorkers):
    poll_interval_s = POLL_INTERVAL_S

    def __init__(
        self,
        turn: Turn,
        *,
        engine: AsyncEngine,
        writer: BatchWriter,
        locks: Locks,
        ready: Callable[[], bool],
        directory: RecipientDirectory,
        adapters: Mapping[str, ChannelAdapter],
        senders: Mapping[str, Sender],
        clock: Callable[[], datetime],
        wake_relay: Callable[[Key], None],
        worker_id: str,
        staff_pause: timedelta = STAFF_PAUSE,
    ) -> None:
        """`ready`: whether turns can run now (the model is loaded). `staff_pause`: how long
        the assistant stays quiet for a citizen after staff wrote to them natively."""
        super().__init__()
        self._turn = turn
        self._engine = engine
        self._writer = writer
        self._locks = locks
        self._ready = ready
        self._directory = directory
        self._adapters = adapters
        self._senders = senders
        self._clock = clock
        self._wake_relay = wake_relay
        self._me = worker_id
        self._staff_pause = staff_pause
        self._semaphore = asyncio.Semaphore(MAX_CONCURRENT_CONVERSATIONS)
        self.turns_done = 0

    async def _scan(self) -> None:
        """Rows nobody is answering: this worker's own, unclaimed ones and those of a worker
        whose claim expired (killed); claimed with SKIP LOCKED so scans never overlap."""
        if not self._ready():
            return
        now = self._clock()

        room = MAX_CONCURRENT_CONVERSATIONS - len(self._active)

        def work(conn: Connection) -> list[Key]:
            return claim_inbox(conn, self._me, now, room)

        for key in await self._writer.write(work):
            self._start(key)

    def has_room(self) -> bool:
        """Fewer conversations in hand than it runs at once: new turns can start here now."""
        return len(self._active) < MAX_CONCURRENT_CONVERSATIONS

    def claim(self) -> ClaimFor | None:
        """With room, this worker claims the webhook's rows and starts them at once; busy, it
        leaves them unclaimed for a worker with room (the kernel or a load balancer spreads
        connections, not work: one keep-alive connection can carry most webhooks)."""
        return self._claim_here if self.has_room() else None

    def _claim_here(self, conversation: Key) -> Claim:
        return self._me, INBOX_LEASE

    def offer(self, conversations: Iterable[Key], *, claimed: bool) -> None:
        """Conversations with newly stored turns: start those this worker claimed."""
        if claimed:
            for conversation in dict.fromkeys(conversations):
                self.wake(conversation)

    def _can_start(self) -> bool:
        return self._ready()

    async def _work(self, key: Key, first: Any) -> None:
        """Handle one conversation's pending rows, oldest first, one at a time. With several
        workers, the conversation's lock says which one (the others leave it be)."""
        platform, ref = key
        try:
            async with self._semaphore, self._locks.hold(f"turn:{platform}:{ref}") as mine:
                if not mine:
                    return
                while not self._stopping:
                    async with self._engine.connect() as conn:
                        row = (
                            await conn.execute(_NEXT_PENDING, {"platform": platform, "ref": ref})
                        ).first()
                    if row is None or not await self._answer(row):
                        return
        except Exception as exc:
            # The database or the lock failed between turns: the rows stay pending for a scan.
            log.warning("conversation postponed: %s", type(exc).__name__)

    async def _answer(self, row: Any) -> bool:
        """Answer one row; False when the conversation must wait (for a scan, or the model)."""
        try:
            await self._process(row)
        except AssistantNotReady:
            return False
        except Exception as exc:
            if database_unavailable(exc):
                # Not the message's fault: it stays pending, uncounted, for the next scan.
                log.warning("turn postponed: the database is unavailable")
                return False
            log.error("turn for inbox row %s failed: %s", row.id, type(exc).__name__)
            try:
                await self._count_failure(row)
            except Exception as again:  # counted at the next failure instead
                log.warning("failure not counted: %s", type(again).__name__)
            return False
        return True

    async def _hold(self, row: Any) -> None:
        """Recorded, not answered: a person of the page is talking with this citizen."""
        now = self._clock()

        def work(conn: Connection) -> None:
            conn.execute(_MARK_HELD, {"row_id": row.id, "now": now})

        await self._writer.write(work)
        log.info("%s message held: staff are answering", row.platform)

    async def _count_failure(self, row: Any) -> None:
        attempts = row.attempts + 1
        status = "dead" if attempts >= MAX_TURN_ATTEMPTS else "pending"

        def work(conn: Connection) -> None:
            conn.execute(
                update(inbox).where(inbox.c.id == row.id).values(attempts=attempts, status=status)
            )

        await self._writer.write(work)

    async def _process(self, row: Any) -> None:
        adapter = self._adapters.get(row.platform)
        sender = self._senders.get(row.platform)
        if adapter is None:
            raise RuntimeError(f"no adapter for {row.platform}")
        if staff_answering(row, self._clock(), self._staff_pause):
            await self._hold(row)
            return
        user_id = await self._directory.platform_user_id(row.user_ref)
        if sender is not None and user_id is not None:
            await sender.typing(user_id, True)
        text = turn_text(row.kind, row.text, row.payload)
        # The image's address, for the scam check to read a screenshot (fetched in this turn,
        # never on the webhook's ack).
        outcome = await self._turn(row.platform, row.user_ref, text, row.attachment_url)
        rendered = Rendered(adapter, outcome)
        now = self._clock()

        def work(conn: Connection) -> None:
            _store_answer(conn, row, outcome, rendered, now, self._me)

        # Lazy: if PostgreSQL crashed before this reached the disk, the row would be pending
        # again and answered again, never sent twice: the relay's claim of the first reply is
        # a durable commit, which flushes this one first.
        await self._writer.write(work, lazy=sender is not None)
        self.turns_done += 1
        self._wake_relay((row.platform, row.user_ref))


def staff_answering(row: Any, now: datetime, pause: timedelta) -> bool:
    """Staff wrote to this citizen natively less than `pause` ago, or hold the thread."""
    if row.thread_away:
        return True
    return row.staff_reply_at is not None and now - aware(row.staff_reply_at) < pause


def _store_answer(
    conn: Connection, row: Any, outcome: Outcome, rendered: Rendered, now: datetime, me: str
) -> None:
    """Mark the inbox row done and queue its answer, unless another worker finished it first."""
    done = conn.execute(_MARK_DONE, {"row_id": row.id, "now": now, "attempts": row.attempts + 1})
    if done.rowcount != 1:
        return
    citizen = outcome.citizen
    records = []
    for body, kind, text in zip(rendered.bodies, rendered.kinds, rendered.texts, strict=True):
        inserted = conn.execute(outbox.insert(), _outbox_row(row, body, kind, now, me))
        if citizen is not None:
            outbox_id = inserted.inserted_primary_key[0]
            records.append(
                outbound_row(citizen, row.platform, outcome.topic, text, now, outbox_id)
            )
    if records:
        conn.execute(messages.insert(), records)


def _outbox_row(row: Any, body: str, kind: str, now: datetime, me: str) -> dict[str, Any]:
    return {
        "platform": row.platform,
        "page_id": row.page_id,
        "user_ref": row.user_ref,
        "inbox_id": row.id,
        "body": body,
        "kind": kind,
        "messaging_type": "RESPONSE",
        "created_at": now,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        # This worker sends what it answered (bot/pipeline/claims.py).
        "claimed_by": me,
        "claimed_until": now + SEND_LEASE,
    }
