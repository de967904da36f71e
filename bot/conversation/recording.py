"""Engagement records: a `messages` row per message in either direction, and conversations.

For a citizen who consented, rows carry the pseudonymous reference, the conversation and the
text (masked again here: web chat text reaches us unmasked). Without consent they are anonymous
counters: time, channel, topic, fallback, latency, no reference and no text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.engine import Connection

from bot.conversation.citizens import Citizen
from bot.core.privacy import mask_text
from bot.db.models import conversations, feedback, messages
from bot.db.writer import BatchWriter
from bot.engine.runner import TurnResult

log = logging.getLogger(__name__)
TEXT_LIMIT = 2000
# Answers to these are not content a citizen rates (greetings, ratings themselves, data rights).
NOT_RATED_TOPICS = frozenset(
    {"smalltalk", "feedback", "data_rights", "out_of_scope", "human_handoff"}
)


# Built once (statement construction per message showed in the gateway's profile).
_CONTINUE_CONVERSATION = (
    update(conversations)
    .where(conversations.c.id == bindparam("conversation"))
    .values(last_at=bindparam("now"), messages=conversations.c.messages + 1)
)


def _text(citizen: Citizen, text: str | None) -> str | None:
    if not citizen.consented or not text:
        return None
    return mask_text(text[:TEXT_LIMIT])


def outbound_row(
    citizen: Citizen,
    channel: str,
    topic: str | None,
    text: str | None,
    now: datetime,
    outbox_id: int | None,
) -> dict[str, Any]:
    return {
        "created_at": now,
        "channel": channel,
        "user_ref": citizen.ref if citizen.consented else None,
        "direction": "out",
        "conversation_id": citizen.conversation_id if citizen.consented else None,
        "topic": topic,
        "text": _text(citizen, text),
        "outbox_id": outbox_id,
    }


class MessageRecorder:
    def __init__(self, writer: BatchWriter, clock: Callable[[], datetime]) -> None:
        self.writer = writer
        self.clock = clock

    async def inbound(
        self,
        citizen: Citizen,
        channel: str,
        topic: str,
        result: TurnResult,
        text: str,
    ) -> None:
        now = self.clock()
        current = citizen.conversation_id
        opens = citizen.new_conversation(now) or current is None
        consented = citizen.consented
        ref = citizen.ref if consented else None
        row = {
            "created_at": now,
            "channel": channel,
            "user_ref": ref,
            "direction": "in",
            "intent": result.intent,
            "topic": topic,
            "confidence": round(result.confidence, 4),
            "fallback": result.fallback,
            "latency_ms": round(result.latency_ms, 2),
            "replies": len(result.replies),
            "text": _text(citizen, text),
        }

        def work(conn: Connection) -> int:
            if opens:
                conversation_id = conn.execute(
                    conversations.insert(),
                    {
                        "channel": channel,
                        "user_ref": ref,
                        "started_at": now,
                        "last_at": now,
                        "messages": 1,
                    },
                ).inserted_primary_key[0]
            else:
                conversation_id = current
                conn.execute(_CONTINUE_CONVERSATION, {"conversation": current, "now": now})
            conn.execute(
                messages.insert(),
                {"conversation_id": conversation_id if consented else None, **row},
            )
            return int(conversation_id)

        citizen.last_at = now
        try:
            # A new conversation's row is durable (later rows refer to it); another message
            # in it is a statistic a PostgreSQL crash may cost, so it does not wait for the WAL.
            citizen.conversation_id = await self.writer.write(work, lazy=not opens)
        except Exception as exc:  # a lost statistic must never cost the citizen a reply
            log.error("could not record message: %s", type(exc).__name__)
        if topic not in NOT_RATED_TOPICS:
            citizen.last_topic = topic

    async def outbound(
        self, citizen: Citizen, channel: str, topic: str | None, texts: Sequence[str]
    ) -> None:
        """Replies that need no outbox (web chat): recorded as sent."""
        now = self.clock()
        rows = [outbound_row(citizen, channel, topic, text, now, None) for text in texts]
        if not rows:
            return

        def work(conn: Connection) -> None:
            conn.execute(messages.insert(), rows)

        try:
            await self.writer.write(work)
        except Exception as exc:
            log.error("could not record replies: %s", type(exc).__name__)

    async def feedback(
        self, citizen: Citizen, channel: str, topic: str | None, helpful: bool
    ) -> None:
        """A rating of the last answer (`topic`), from a button or typed."""
        row = {
            "created_at": self.clock(),
            "channel": channel,
            "user_ref": citizen.ref if citizen.consented else None,
            "topic": topic,
            "helpful": helpful,
        }

        def work(conn: Connection) -> None:
            conn.execute(feedback.insert().values(**row))

        try:
            await self.writer.write(work)
        except Exception as exc:
            log.error("could not record feedback: %s", type(exc).__name__)
