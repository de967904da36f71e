"""What each citizen chose (consent, commune) and where their conversation stands.

One `Citizen` per pseudonymous reference, cached in memory (a turn must not cost extra queries)
and written through to `citizens`. The session part (current conversation, last message time,
topic of the last answer) is the only state kept about a citizen who did not consent, and it is
kept in memory only.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.models import audit_log, citizens, conversations, handoffs, quiz_attempts
from bot.db.upsert import insert_for
from bot.db.writer import BatchWriter
from bot.vntime import aware

PENDING, GRANTED, DECLINED = "pending", "granted", "declined"
# A new conversation starts after this long without a message (Rasa's session default too).
SESSION_GAP = timedelta(minutes=30)
CACHE_SIZE = 100_000


@dataclass
class Citizen:
    ref: str
    channel: str
    consent: str | None = None  # None: never asked (first contact)
    commune: str | None = None
    awaiting: str | None = None  # "consent" | "commune"
    # Session, in memory only for citizens who did not consent.
    conversation_id: int | None = None
    last_at: datetime | None = None
    last_topic: str | None = None
    nickname: str | None = None
    newsletter: bool = False
    quiz_attempt_id: int | None = None  # an unfinished quiz attempt
    handoff_id: int | None = None  # an open handoff: a person answers, not the assistant
    fallbacks_in_row: int = 0

    @property
    def consented(self) -> bool:
        return self.consent == GRANTED

    def new_conversation(self, now: datetime) -> bool:
        return self.last_at is None or now - aware(self.last_at) > SESSION_GAP


class CitizenRegistry:
    def __init__(
        self,
        engine: AsyncEngine,
        writer: BatchWriter,
        clock: Callable[[], datetime],
        *,
        cache: bool = True,
    ) -> None:
        self._engine = engine
        self._writer = writer
        self._clock = clock
        self._cache: OrderedDict[str, Citizen] = OrderedDict()
        # Off when several workers share the database: another worker may have changed it.
        self._use_cache = cache

    async def get(self, channel: str, ref: str) -> Citizen:
        citizen = self._cache.get(ref)
        if citizen is not None:
            self._cache.move_to_end(ref)
            return citizen
        citizen = await self._load(channel, ref)
        if not self._use_cache:
            return citizen
        self._cache[ref] = citizen
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return citizen

    async def _load(self, channel: str, ref: str) -> Citizen:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(citizens).where(citizens.c.user_ref == ref))).first()
            citizen = Citizen(ref, channel)
            handoff = (
                await conn.execute(
                    select(handoffs.c.id).where(
                        handoffs.c.user_ref == ref, handoffs.c.status.in_(("waiting", "claimed"))
                    )
                )
            ).first()
            citizen.handoff_id = handoff.id if handoff is not None else None
            attempt = (
                await conn.execute(
                    select(quiz_attempts.c.id)
                    .where(quiz_attempts.c.user_ref == ref, quiz_attempts.c.status == "active")
                    .order_by(quiz_attempts.c.id.desc())
                    .limit(1)
                )
            ).first()
            citizen.quiz_attempt_id = attempt.id if attempt is not None else None
            if row is None:
                return citizen
            citizen.consent, citizen.commune, citizen.awaiting = (
                row.consent,
                row.commune,
                row.awaiting,
            )
            citizen.nickname = row.nickname
            citizen.newsletter = bool(row.newsletter)
            if citizen.consented:
                last = (
                    await conn.execute(
                        select(conversations.c.id, conversations.c.last_at)
                        .where(conversations.c.user_ref == ref)
                        .order_by(conversations.c.id.desc())
                        .limit(1)
                    )
                ).first()
                if last is not None:
                    citizen.conversation_id, citizen.last_at = last.id, aware(last.last_at)
        return citizen

    async def update(self, citizen: Citizen, **changes: Any) -> None:
        """Change what the citizen chose (consent, commune, awaiting) and store it."""
        now = self._clock()
        for name, value in changes.items():
            setattr(citizen, name, value)
        values = {
            "channel": citizen.channel,
            "consent": citizen.consent or PENDING,
            "commune": citizen.commune,
            "awaiting": citizen.awaiting,
            "nickname": citizen.nickname,
            "newsletter": citizen.newsletter,
            "updated_at": now,
        }
        consent_changed = "consent" in changes
        if consent_changed:
            values["consent_at"] = now
        if "newsletter" in changes:
            values["newsletter_at"] = now
        if citizen.consent is None:
            citizen.consent = PENDING

        def work(conn: Connection) -> None:
            stmt = insert_for(conn, citizens).values(
                user_ref=citizen.ref, created_at=now, **values
            )
            conn.execute(
                stmt.on_conflict_do_update(index_elements=[citizens.c.user_ref], set_=values)
            )
            if consent_changed:  # for audit: what was chosen and where, never who
                conn.execute(
                    audit_log.insert().values(
                        created_at=now,
                        action=f"consent_{citizen.consent}",
                        channel=citizen.channel,
                        rows=1,
                    )
                )

        await self._writer.write(work)

    def peek(self, ref: str) -> Citizen | None:
        """The cached citizen, if this process has one."""
        return self._cache.get(ref)

    def drop_handoff(self, ref: str) -> None:
        citizen = self._cache.get(ref)
        if citizen is not None:
            citizen.handoff_id = None

    def forget(self, ref: str) -> None:
        """After an erasure: the next message is a first contact again."""
        self._cache.pop(ref, None)
