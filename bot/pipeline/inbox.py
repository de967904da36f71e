"""Durable intake of webhook events: one transaction per webhook, committed before the ack.

Turn events become `inbox` rows (unique per platform event id, so a retried or duplicated
delivery is stored once); the sender's raw id goes to `recipients` with the time of their last
message (the messaging window); receipts update the status of our sent messages; unfollows are
recorded. Text is masked before it is written; an image's address is kept until its turn is done.
A reply staff sent from outside the assistant is recorded (kind `staff_reply`, no text) and marks
the citizen's recipient row, which keeps the assistant quiet for a while (see dispatcher.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, exists, select, update
from sqlalchemy.engine import Connection

from bot.channels.base import TURN_KINDS, InboundEvent, Kind
from bot.core.jsonbody import clean_text
from bot.core.privacy import mask_body, mask_text
from bot.db.models import dead_letters, inbox, outbox, recipients
from bot.db.upsert import dialect_insert, insert_for
from bot.db.writer import BatchWriter
from bot.pipeline.hints import ClaimFor
from bot.pipeline.intake import FAST_KINDS, PostgresIntake

if TYPE_CHECKING:
    from bot.metrics import Metrics

log = logging.getLogger(__name__)
DEAD_LETTER_BODY_LIMIT = 4000
# Platform CDN addresses are a few hundred characters; anything longer is not fetched.
MAX_ATTACHMENT_URL = 2048
# The messaging window is tracked to the minute; fresher recipient rows are not rewritten.
RECIPIENT_REFRESH = timedelta(seconds=60)
SEEN_LIMIT = 100_000  # users remembered by `seen` before it starts again
# Events that are stored in `inbox` (an unfollow is recorded, never answered).
RECORDED_KINDS = TURN_KINDS | {Kind.UNFOLLOW}
# Sent by us but not yet known to be (its platform id is written once the send returns): an echo
# meanwhile may be ours.
IN_FLIGHT = ("sending",)
NEVER = datetime(1970, 1, 1, tzinfo=timezone.utc)


# Built once per engine, not per webhook; a platform's retried or duplicated delivery is
# stored once.
_INSERT_EVENT = {
    name: dialect_insert(name, inbox).on_conflict_do_nothing(
        index_elements=["platform", "event_id"]
    )
    for name in ("postgresql", "sqlite")
}


def _insert_event(conn: Connection) -> Any:
    return _INSERT_EVENT[conn.dialect.name]


async def store_events(
    writer: BatchWriter,
    events: Sequence[InboundEvent],
    ref_for: Callable[[InboundEvent], str],
    now: datetime,
    seen: dict[str, datetime] | None = None,
    *,
    claim: ClaimFor | None = None,
    fast: PostgresIntake | None = None,
    metrics: Metrics | None = None,
) -> list[tuple[str, str]]:
    """Persist a webhook's events (committed when this returns); return the conversations
    (platform, user_ref) that got a new event to answer.

    `claim`: which worker is to answer each conversation, for how long before others may
    (bot/pipeline/claims.py, bot/pipeline/hints.py); None: unclaimed, for whichever worker's
    scan has room.

    `seen` remembers when each user's recipient row was last written by this process: a user
    who wrote less than a minute ago needs no second write of the same window timestamp.

    `fast` (PostgreSQL): messages, postbacks and attachments in one round trip
    (bot/pipeline/intake.py).

    `metrics`: where the duplicates dropped are counted.
    """
    refs = [ref_for(event) for event in events]
    fresh = _fresh(refs, now, seen)
    claimed_by, claimed_until = _claims(events, refs, now, claim)
    if fast is not None and events and all(event.kind in FAST_KINDS for event in events):
        stored = await fast.store(
            events,
            refs,
            [mask_text(event.text) if event.text else None for event in events],
            [ref not in fresh for ref in refs],
            now,
            claimed_by,
            claimed_until,
            [image_url(event) for event in events],
        )
    else:

        def work(conn: Connection) -> list[tuple[str, str]]:
            return _store(conn, events, refs, now, fresh, claimed_by, claimed_until)

        stored = await writer.write(work, urgent=True)
    if seen is not None:
        _remember(seen, events, refs, now)
    _duplicates_dropped(events, stored, metrics)
    return stored


def _duplicates_dropped(
    events: Sequence[InboundEvent], stored: list[tuple[str, str]], metrics: Metrics | None
) -> None:
    """Say how many turn events were already stored (a retry, or the Zalo console's sample
    events, which all share one msg_id): dropped on purpose, but never silently."""
    dropped = sum(1 for event in events if event.kind in TURN_KINDS) - len(stored)
    if dropped <= 0:
        return
    platform = events[0].platform
    log.info("%s: %d event(s) with an id already stored, dropped as duplicates", platform, dropped)
    if metrics is not None:
        metrics.duplicates_dropped.labels(platform).inc(dropped)


def _fresh(refs: list[str], now: datetime, seen: dict[str, datetime] | None) -> set[str]:
    """Users whose recipient row this process wrote less than RECIPIENT_REFRESH ago."""
    if seen is None:
        return set()
    return {ref for ref in refs if ref in seen and now - seen[ref] < RECIPIENT_REFRESH}


def _claims(
    events: Sequence[InboundEvent], refs: list[str], now: datetime, claim: ClaimFor | None
) -> tuple[list[str | None], list[datetime | None]]:
    """Who is to answer each event's conversation (claimed_by), and until when."""
    if claim is None:
        return [None] * len(events), [None] * len(events)
    claims = [claim((event.platform, ref)) for event, ref in zip(events, refs, strict=True)]
    return [c[0] if c else None for c in claims], [now + c[1] if c else None for c in claims]


def _remember(
    seen: dict[str, datetime], events: Sequence[InboundEvent], refs: list[str], now: datetime
) -> None:
    if len(seen) > SEEN_LIMIT:
        seen.clear()
    for event, ref in zip(events, refs, strict=True):
        if event.kind in RECORDED_KINDS:
            seen[ref] = now


def _store(
    conn: Connection,
    events: Sequence[InboundEvent],
    refs: list[str],
    now: datetime,
    fresh: set[str],
    claimed_by: list[str | None],
    claimed_until: list[datetime | None],
) -> list[tuple[str, str]]:
    stored: list[tuple[str, str]] = []
    for event, ref, by, until in zip(events, refs, claimed_by, claimed_until, strict=True):
        if event.kind in RECORDED_KINDS:
            if ref not in fresh or event.kind in (Kind.FOLLOW, Kind.UNFOLLOW):
                _upsert_recipient(conn, event, ref, now)
            result = conn.execute(
                _insert_event(conn),
                _row(
                    event,
                    ref,
                    now,
                    text=mask_text(event.text) if event.text else None,
                    payload=event.payload or event.attachment_type or None,
                    attachment_url=image_url(event),
                    # An unfollow is recorded, never answered.
                    status="pending" if event.kind in TURN_KINDS else "done",
                    # Usually the worker that acknowledged it (or owns the conversation)
                    # starts the turn at once.
                    claimed_by=by,
                    claimed_until=until,
                ),
            )
            if event.kind in TURN_KINDS and result.rowcount:
                stored.append((event.platform, ref))
        elif event.kind in (Kind.DELIVERY, Kind.READ):
            _mark_delivery(conn, event, ref)
        elif event.kind is Kind.STAFF_REPLY and not _ours(conn, event, ref):
            _staff_reply(conn, event, ref, now)
        elif event.kind in (Kind.THREAD_AWAY, Kind.THREAD_BACK):
            away = event.kind is Kind.THREAD_AWAY
            # Back: the assistant answers again at once, whatever staff wrote before.
            changes: dict[str, object] = {"thread_away": away}
            if not away:
                changes["staff_reply_at"] = None
            _staff_state(conn, event, ref, now, changes)
    return stored


def _row(event: InboundEvent, ref: str, now: datetime, **values: object) -> dict[str, object]:
    """An inbox row for `event`: nothing kept of it but its ids unless `values` say so."""
    return {
        "platform": event.platform,
        "event_id": event.event_id[:128],
        "page_id": event.page_id,
        "user_ref": ref,
        "kind": event.kind.value,
        "text": None,
        "payload": None,
        "attachment_url": None,
        "received_at": now,
        "attempts": 0,
        "claimed_by": None,
        "claimed_until": None,
        **values,
    }


def _ours(conn: Connection, event: InboundEvent, ref: str) -> bool:
    """An echo of a message the assistant sent: its id is in the outbox, or a send to that
    citizen is on the wire (its id not written yet)."""
    sent = exists().where(
        outbox.c.platform == event.platform, outbox.c.platform_message_id == event.event_id
    )
    on_the_wire = exists().where(
        outbox.c.platform == event.platform,
        outbox.c.user_ref == ref,
        outbox.c.status.in_(IN_FLIGHT),
    )
    return bool(conn.execute(select(sent | on_the_wire)).scalar())


def _staff_reply(conn: Connection, event: InboundEvent, ref: str, now: datetime) -> None:
    """Recorded for the figures (once per platform message id, without its text); the
    assistant's pause starts again from now."""
    result = conn.execute(_insert_event(conn), _row(event, ref, now, status="done"))
    if result.rowcount:
        _staff_state(conn, event, ref, now, {"staff_reply_at": now})


def _staff_state(
    conn: Connection, event: InboundEvent, ref: str, now: datetime, changes: dict[str, object]
) -> None:
    """Whether staff are answering this citizen, on their recipient row."""
    # Staff may write first: the row then says the citizen has not written (no window open).
    _write_recipient(conn, event, ref, now, {"last_inbound_at": NEVER, **changes}, changes)


def _write_recipient(
    conn: Connection,
    event: InboundEvent,
    ref: str,
    now: datetime,
    values: dict[str, object],
    changes: dict[str, object],
) -> None:
    """Creates the citizen's recipient row with `values`, or applies `changes` to it."""
    row = {
        "user_ref": ref,
        "platform": event.platform,
        "page_id": event.page_id,
        "platform_user_id": event.user_id,
        "first_seen_at": now,
        **values,
    }
    conn.execute(
        insert_for(conn, recipients)
        .values(**row)
        .on_conflict_do_update(index_elements=["user_ref"], set_=changes)
    )


def image_url(event: InboundEvent) -> str | None:
    """The address of an attached image, kept for the turn (a screenshot the scam check reads);
    other attachments' and over-long addresses are not kept."""
    url = event.attachment_url
    if event.kind is not Kind.ATTACHMENT or event.attachment_type != "image" or not url:
        return None
    return url if len(url) <= MAX_ATTACHMENT_URL else None


def _upsert_recipient(conn: Connection, event: InboundEvent, ref: str, now: datetime) -> None:
    followed = {Kind.FOLLOW: True, Kind.UNFOLLOW: False}.get(event.kind)
    changes: dict[str, object] = {"platform_user_id": event.user_id}
    if event.kind is not Kind.UNFOLLOW:
        changes["last_inbound_at"] = now  # the messaging window reopens with each message
    if followed is not None:
        changes["followed"] = followed
    _write_recipient(
        conn, event, ref, now, {"last_inbound_at": now, "followed": followed}, changes
    )


def _mark_delivery(conn: Connection, event: InboundEvent, ref: str) -> None:
    status = "read" if event.kind is Kind.READ else "delivered"
    if event.message_ids:
        condition = and_(
            outbox.c.platform == event.platform,
            outbox.c.platform_message_id.in_(event.message_ids),
        )
    elif event.watermark_ms is not None:
        # Everything sent to this user up to the watermark was delivered/read.
        watermark = datetime.fromtimestamp(event.watermark_ms / 1000, tz=timezone.utc)
        condition = and_(
            outbox.c.platform == event.platform,
            outbox.c.user_ref == ref,
            outbox.c.status == "sent",
            outbox.c.sent_at <= watermark,
        )
    else:
        return
    if status == "delivered":
        # Never downgrade "read" to "delivered".
        condition = and_(condition, (outbox.c.delivery.is_(None)) | (outbox.c.delivery != "read"))
    conn.execute(update(outbox).where(condition).values(delivery=status))


async def dead_letter(
    writer: BatchWriter,
    *,
    platform: str,
    direction: str,
    reason: str,
    body: bytes | str | None,
    now: datetime,
    ref: str | None = None,
) -> None:
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if body is not None:
        # Texts and people masked; timestamps, message ids and event names kept for replay.
        # Cut first: masking a whole 256 KB body would hold the event loop.
        body = clean_text(mask_body(body[: DEAD_LETTER_BODY_LIMIT * 4]))[:DEAD_LETTER_BODY_LIMIT]
    values = {
        "created_at": now,
        "platform": platform,
        "direction": direction,
        "reason": reason[:300],
        "body": body,
        "user_ref": ref,
    }

    def work(conn: Connection) -> None:
        conn.execute(dead_letters.insert().values(**values))

    await writer.write(work)


def encode_body(body: dict[str, object]) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))
