"""Turns stored inbox rows into replies: one turn at a time per conversation, in arrival order,
many conversations at once. The replies go to the outbox in the same transaction that marks the
inbox row done, so a crash anywhere leaves the row pending and it is answered after restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection

from bot import keys
from bot.channels.base import ChannelAdapter, Kind
from bot.channels.facebook import GET_STARTED_PAYLOAD
from bot.channels.senders import Sender
from bot.claims import INBOX_LEASE, SEND_LEASE, WORKER_ID, claim_inbox
from bot.conversation import handle_message
from bot.data_rights import ERASE_AFTER_SEND
from bot.db.engine import database_unavailable
from bot.db.models import inbox, messages, outbox
from bot.engine.runner import AssistantNotReady
from bot.inbox import encode_body
from bot.recording import outbound_row
from bot.scheduling import ConversationWorkers
from bot.turn_link import Claim, ClaimFor

log = logging.getLogger(__name__)

# Attachments reach Rasa as intents: an image may be a screenshot of a scam message and gets the
# scam advice; stickers, voice, video, files and locations get a polite note.
ATTACHMENT_INTENTS = {"image": "/share_image"}
MAX_CONCURRENT_CONVERSATIONS = 8  # measured: 16 doubled ack p99 at 20 msg/s, 4 lost throughput
# Short: turns a busy worker left unclaimed wait for a scan (measured with one keep-alive
# connection carrying most webhooks to one worker, the other one idled).
POLL_INTERVAL_S = 0.25
MAX_TURN_ATTEMPTS = 5

# Built once: constructing a statement per turn was a tenth of the gateway's CPU (py-spy).
_MARK_DONE = (
    update(inbox)
    .where(inbox.c.id == bindparam("row_id"), inbox.c.status == "pending")
    # The text was needed for the turn only; the record is `messages` (with consent).
    .values(
        status="done",
        processed_at=bindparam("now"),
        attempts=bindparam("attempts"),
        text=None,
    )
)

# The conversation's oldest pending row.
_NEXT_PENDING = (
    select(inbox)
    .where(
        inbox.c.platform == bindparam("platform"),
        inbox.c.user_ref == bindparam("ref"),
        inbox.c.status == "pending",
    )
    .order_by(inbox.c.id)
    .limit(1)
)


def _claim_here(conversation: tuple[str, str]) -> Claim:
    return WORKER_ID, INBOX_LEASE


def turn_text(kind: str, text: str | None, payload: str | None) -> str:
    """What Rasa is given for an inbox row."""
    if kind == Kind.FOLLOW.value:
        return "/follow"  # the welcome, and the newsletter offer (bot.conversation)
    if kind == Kind.POSTBACK.value:
        if not payload or payload == GET_STARTED_PAYLOAD:
            return "/greet"
        return payload
    if kind == Kind.ATTACHMENT.value:
        return ATTACHMENT_INTENTS.get(payload or "", "/share_media")
    # A quick-reply tap carries its payload ("/vneid_level2"); typed text carries none.
    if payload and payload.startswith("/"):
        return payload
    return text or ""


def body_text(body: Any) -> str | None:
    """The text of a rendered platform message (Messenger or Zalo, plain or with buttons)."""
    if isinstance(body, dict):
        if isinstance(body.get("text"), str):
            return str(body["text"])
        for value in body.values():
            found = body_text(value)
            if found:
                return found
    if isinstance(body, list):
        for value in body:
            found = body_text(value)
            if found:
                return found
    return None


class Dispatcher(ConversationWorkers):
    poll_interval_s = POLL_INTERVAL_S

    def __init__(
        self,
        app: web.Application,
        adapters: Mapping[str, ChannelAdapter],
        senders: Mapping[str, Sender],
        clock: Callable[[], datetime],
        wake_relay: Callable[[tuple[str, str]], None],
    ) -> None:
        super().__init__()
        self._app = app
        self._adapters = adapters
        self._senders = senders
        self._clock = clock
        self._wake_relay = wake_relay
        self._semaphore = asyncio.Semaphore(MAX_CONCURRENT_CONVERSATIONS)
        self.turns_done = 0

    @property
    def engine(self) -> Any:
        return self._app[keys.db_key]

    async def _scan(self) -> None:
        """Rows nobody is answering: this worker's own, unclaimed ones and those of a worker
        whose claim expired (killed); claimed with SKIP LOCKED so scans never overlap."""
        if not self._app[keys.runner_key].ready:
            return
        now = self._clock()

        room = MAX_CONCURRENT_CONVERSATIONS - len(self._active)

        def work(conn: Connection) -> list[tuple[str, str]]:
            return claim_inbox(conn, WORKER_ID, now, room)

        for key in await self._app[keys.writer_key].write(work):
            self._start(key)

    def has_room(self) -> bool:
        """Fewer conversations in hand than it runs at once: new turns can start here now."""
        return len(self._active) < MAX_CONCURRENT_CONVERSATIONS

    def claim(self) -> ClaimFor | None:
        """With room, this worker claims the webhook's rows and starts them at once; busy, it
        leaves them unclaimed for a worker with room (the kernel or a load balancer spreads
        connections, not work: one keep-alive connection can carry most webhooks)."""
        return _claim_here if self.has_room() else None

    def offer(self, conversations: Iterable[tuple[str, str]], *, claimed: bool) -> None:
        """Conversations with newly stored turns: start those this worker claimed."""
        if claimed:
            for conversation in dict.fromkeys(conversations):
                self.wake(conversation)

    def _can_start(self) -> bool:
        return self._app[keys.runner_key].ready

    async def _work(self, key: tuple[str, str], first: Any) -> None:
        """Handle one conversation's pending rows, oldest first, one at a time. With several
        workers, the conversation's lock says which one (the others leave it be)."""
        platform, ref = key
        async with (
            self._semaphore,
            self._app[keys.locks_key].hold(f"turn:{platform}:{ref}") as mine,
        ):
            if not mine:
                return
            while not self._stopping:
                async with self.engine.connect() as conn:
                    row = (
                        await conn.execute(_NEXT_PENDING, {"platform": platform, "ref": ref})
                    ).first()
                if row is None:
                    return
                try:
                    await self._process(row)
                except AssistantNotReady:
                    return
                except Exception as exc:
                    if database_unavailable(exc):
                        # Not the message's fault: it stays pending, uncounted, for the next
                        # scan (PostgreSQL restarting, say).
                        log.warning("turn postponed: the database is unavailable")
                        return
                    log.error("turn for inbox row %s failed: %s", row.id, type(exc).__name__)
                    try:
                        await self._count_failure(row)
                    except Exception as again:  # counted at the next failure instead
                        log.warning("failure not counted: %s", type(again).__name__)
                    return

    async def _count_failure(self, row: Any) -> None:
        attempts = row.attempts + 1
        status = "dead" if attempts >= MAX_TURN_ATTEMPTS else "pending"

        def work(conn: Connection) -> None:
            conn.execute(
                update(inbox).where(inbox.c.id == row.id).values(attempts=attempts, status=status)
            )

        await self._app[keys.writer_key].write(work)

    async def _process(self, row: Any) -> None:
        adapter = self._adapters.get(row.platform)
        sender = self._senders.get(row.platform)
        if adapter is None:
            raise RuntimeError(f"no adapter for {row.platform}")
        user_id = await self._platform_user_id(row.user_ref)
        typing = bool(sender and user_id)
        if typing:
            assert sender is not None and user_id is not None
            await sender.typing(user_id, True)
        text = turn_text(row.kind, row.text, row.payload)
        outcome = await handle_message(
            self._app, channel=row.platform, ref=row.user_ref, text=text
        )
        bodies = adapter.render(outcome.replies)
        if outcome.erase_after_send and bodies:
            bodies[-1] = {**bodies[-1], ERASE_AFTER_SEND: True}
        now = self._clock()
        citizen = outcome.citizen

        def work(conn: Connection) -> None:
            done = conn.execute(
                _MARK_DONE,
                {"row_id": row.id, "now": now, "attempts": row.attempts + 1},
            )
            if done.rowcount != 1:  # another worker may have finished it first
                return
            records = []
            for body in bodies:
                outbox_id = conn.execute(
                    outbox.insert(),
                    {
                        "platform": row.platform,
                        "page_id": row.page_id,
                        "user_ref": row.user_ref,
                        "inbox_id": row.id,
                        "body": encode_body(body),
                        "messaging_type": "RESPONSE",
                        "created_at": now,
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                        # This worker sends what it answered (bot/claims.py).
                        "claimed_by": WORKER_ID,
                        "claimed_until": now + SEND_LEASE,
                    },
                ).inserted_primary_key[0]
                if citizen is not None:
                    records.append(
                        outbound_row(
                            citizen, row.platform, outcome.topic, body_text(body), now, outbox_id
                        )
                    )
            if records:
                conn.execute(messages.insert(), records)

        # Lazy: if PostgreSQL crashed before this reached the disk, the row would be pending
        # again and answered again, never sent twice: the relay's claim of the first reply is
        # a durable commit, which flushes this one first.
        await self._app[keys.writer_key].write(work, lazy=sender is not None)
        self.turns_done += 1
        self._wake_relay((row.platform, row.user_ref))

    async def _platform_user_id(self, ref: str) -> str | None:
        return await self._app[keys.directory_key].platform_user_id(ref)
