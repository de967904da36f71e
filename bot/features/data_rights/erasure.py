"""A citizen's data: what is stored about them, erasure everywhere, and the retention limit.

Erasure covers the gateway's tables and Rasa's tracker events (`events`, same database), keyed
by the pseudonymous reference. Every erasure and retention run is written to `audit_log` with
its action and row count only. Law 91/2025/QH15 gives the right to see and delete one's data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import MetaData, Table, delete, func, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.privacy import rasa_sender_id
from bot.db.models import (
    audit_log,
    citizens,
    contest_submissions,
    conversations,
    dead_letters,
    feedback,
    handoff_messages,
    handoffs,
    inbox,
    messages,
    outbox,
    quiz_attempts,
    recipients,
)
from bot.db.writer import BatchWriter
from bot.pipeline.claims import UNSETTLED

RASA_EVENTS = "events"


@dataclass
class DataSummary:
    first_seen: datetime | None = None
    last_message: datetime | None = None
    messages: int = 0
    topics: dict[str, int] = field(default_factory=dict)
    followed: bool | None = None


async def summarise(engine: AsyncEngine, ref: str) -> DataSummary:
    summary = DataSummary()
    async with engine.connect() as conn:
        recipient = (
            await conn.execute(select(recipients).where(recipients.c.user_ref == ref))
        ).first()
        if recipient is not None:
            summary.first_seen = recipient.first_seen_at
            summary.followed = recipient.followed
        rows = (
            await conn.execute(
                select(
                    messages.c.topic,
                    func.count(),
                    func.min(messages.c.created_at),
                    func.max(messages.c.created_at),
                )
                .where(messages.c.user_ref == ref, messages.c.direction == "in")
                .group_by(messages.c.topic)
            )
        ).all()
    for topic, count, first, last in rows:
        summary.topics[topic] = int(count)
        summary.messages += int(count)
        if first is not None and (summary.first_seen is None or first < summary.first_seen):
            summary.first_seen = first
        if last is not None and (summary.last_message is None or last > summary.last_message):
            summary.last_message = last
    return summary


def _rasa_events(conn: Connection) -> Table | None:
    if not inspect(conn).has_table(RASA_EVENTS):
        return None
    return Table(RASA_EVENTS, MetaData(), autoload_with=conn)


async def erase(
    writer: BatchWriter,
    ref: str,
    sender_ids: list[str],
    now: datetime,
    *,
    channel: str | None = None,
    keep_recipient: bool = False,
) -> int:
    """Delete everything stored under `ref` (and the Rasa conversations `sender_ids`).

    `keep_recipient` leaves the one row needed to send the confirmation on Zalo/Messenger; the
    relay erases it once that message is settled (bot/features/data_rights/hooks.py)."""
    tables = (
        inbox,
        outbox,
        messages,
        conversations,
        feedback,
        citizens,
        handoffs,
        handoff_messages,
        contest_submissions,
        quiz_attempts,
        dead_letters,
    ) + (() if keep_recipient else (recipients,))

    def work(conn: Connection) -> int:
        removed = 0
        for table in tables:
            condition = table.c.user_ref == ref
            if table is inbox:
                # Messages not answered yet (the erasure request itself, or anything sent after
                # it) stay until they are answered: they belong to the new conversation.
                condition &= inbox.c.status != "pending"
            removed += conn.execute(delete(table).where(condition)).rowcount or 0
        events = _rasa_events(conn)
        if events is not None and sender_ids:
            removed += (
                conn.execute(delete(events).where(events.c.sender_id.in_(sender_ids))).rowcount
                or 0
            )
        conn.execute(
            audit_log.insert().values(
                created_at=now, action="erase", channel=channel, rows=removed
            )
        )
        return removed

    return await writer.write(work)


async def forget_sessions(writer: BatchWriter, idle: timedelta, now: datetime) -> int:
    """Delete Rasa's conversation state of citizens who did not consent once it is idle: it was
    needed to follow the conversation, not to keep. Returns how many events went."""
    cutoff = (now - idle).timestamp()

    def work(conn: Connection) -> int:
        events = _rasa_events(conn)
        if events is None:
            return 0
        refs = select(citizens.c.user_ref).where(citizens.c.consent != "granted")
        query = select(citizens.c.channel, citizens.c.user_ref).where(
            citizens.c.user_ref.in_(refs)
        )
        senders = [rasa_sender_id(channel, ref) for channel, ref in conn.execute(query)]
        removed = 0
        for start in range(0, len(senders), 500):
            chunk = senders[start : start + 500]
            idle_senders = (
                select(events.c.sender_id)
                .where(events.c.sender_id.in_(chunk))
                .group_by(events.c.sender_id)
                .having(func.max(events.c.timestamp) < cutoff)
            )
            removed += (
                conn.execute(delete(events).where(events.c.sender_id.in_(idle_senders))).rowcount
                or 0
            )
        return removed

    return await writer.write(work)


async def apply_retention(writer: BatchWriter, days: int, now: datetime) -> int:
    """Delete records older than `days` days; return how many rows went."""
    cutoff = now - timedelta(days=days)

    def work(conn: Connection) -> int:
        removed = 0
        for table, column in (
            (messages, messages.c.created_at),
            (conversations, conversations.c.last_at),
            (feedback, feedback.c.created_at),
            (citizens, citizens.c.updated_at),
            (handoff_messages, handoff_messages.c.created_at),
            (handoffs, handoffs.c.created_at),
            (quiz_attempts, quiz_attempts.c.started_at),
            (contest_submissions, contest_submissions.c.created_at),
        ):
            removed += conn.execute(delete(table).where(column < cutoff)).rowcount or 0
        removed += (
            conn.execute(
                delete(inbox).where(inbox.c.received_at < cutoff, inbox.c.status != "pending")
            ).rowcount
            or 0
        )
        removed += (
            conn.execute(
                delete(outbox).where(
                    outbox.c.created_at < cutoff, outbox.c.status.not_in(UNSETTLED)
                )
            ).rowcount
            or 0
        )
        removed += (
            conn.execute(delete(dead_letters).where(dead_letters.c.created_at < cutoff)).rowcount
            or 0
        )
        removed += (
            conn.execute(delete(recipients).where(recipients.c.last_inbound_at < cutoff)).rowcount
            or 0
        )
        events = _rasa_events(conn)
        if events is not None:
            removed += (
                conn.execute(
                    delete(events).where(events.c.timestamp < cutoff.timestamp())
                ).rowcount
                or 0
            )
        if removed:  # a run that found nothing to delete is not worth an audit line
            conn.execute(
                audit_log.insert().values(created_at=now, action="retention", rows=removed)
            )
        return removed

    return await writer.write(work)
