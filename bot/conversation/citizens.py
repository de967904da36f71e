"""What each citizen chose (consent, commune) and where their conversation stands.

One `Citizen` per pseudonymous reference, cached in memory (a turn must not cost extra queries)
and written through to `citizens`. The session part (current conversation, last message time,
topic of the last answer, fallbacks in a row) is the only state kept about a citizen who did not
consent, and it is never written to the database: one process keeps it in its cache; several
workers (which read citizens fresh each message) keep it in Redis, expiring after an hour idle
like the rest of such a citizen's conversation state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.vntime import aware
from bot.db.models import audit_log, citizens, conversations, handoffs, quiz_attempts
from bot.db.upsert import insert_for
from bot.db.writer import BatchWriter

log = logging.getLogger(__name__)
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
    erased: bool = False  # erased on request during this turn: nothing of it is kept

    @property
    def consented(self) -> bool:
        return self.consent == GRANTED

    def new_conversation(self, now: datetime) -> bool:
        return self.last_at is None or now - aware(self.last_at) > SESSION_GAP


SESSION_TTL_S = 3600


class RedisSessions:
    """The session part of each citizen, shared by the workers (a hash per pseudonymous ref).
    Redis down: the citizen starts a new session, the turn goes on."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as aioredis  # type: ignore[import-untyped,unused-ignore]

        self._redis = aioredis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    @staticmethod
    def _key(ref: str) -> str:
        return f"khdx:session:{ref}"

    async def load(self, citizen: Citizen) -> None:
        try:
            data = await self._redis.hgetall(self._key(citizen.ref))
        except Exception as exc:
            log.warning("sessions unavailable (%s): a new session", type(exc).__name__)
            return
        values = {k.decode(): v.decode() for k, v in data.items()}
        if values.get("conversation_id") and citizen.conversation_id is None:
            citizen.conversation_id = int(values["conversation_id"])
        if values.get("last_at") and citizen.last_at is None:
            citizen.last_at = datetime.fromisoformat(values["last_at"])
        citizen.last_topic = values.get("last_topic") or None
        citizen.fallbacks_in_row = int(values.get("fallbacks_in_row") or 0)

    async def save(self, citizen: Citizen) -> None:
        mapping = {
            "conversation_id": "" if citizen.conversation_id is None else citizen.conversation_id,
            "last_at": citizen.last_at.isoformat() if citizen.last_at else "",
            "last_topic": citizen.last_topic or "",
            "fallbacks_in_row": citizen.fallbacks_in_row,
        }
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(self._key(citizen.ref), mapping=mapping)
                pipe.expire(self._key(citizen.ref), SESSION_TTL_S)
                await pipe.execute()
        except Exception as exc:
            log.warning("session not saved (%s)", type(exc).__name__)

    async def forget(self, ref: str) -> None:
        with contextlib.suppress(Exception):
            await self._redis.delete(self._key(ref))

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._redis.close()


def _citizen_query() -> Any:
    """What `CitizenRegistry._load` reads, for the citizen `:ref`."""
    ref = bindparam("ref")

    def one(column: Any, *where: Any, newest: Any = None) -> Any:
        query = select(column).where(*where)
        if newest is not None:
            query = query.order_by(newest.desc())
        return query.limit(1).scalar_subquery()

    mine = citizens.c.user_ref == ref
    last_conversation = (conversations.c.user_ref == ref,)
    return select(
        one(citizens.c.consent, mine).label("consent"),
        one(citizens.c.commune, mine).label("commune"),
        one(citizens.c.awaiting, mine).label("awaiting"),
        one(citizens.c.nickname, mine).label("nickname"),
        one(citizens.c.newsletter, mine).label("newsletter"),
        one(
            handoffs.c.id,
            handoffs.c.user_ref == ref,
            handoffs.c.status.in_(("waiting", "claimed")),
        ).label("handoff_id"),
        one(
            quiz_attempts.c.id,
            quiz_attempts.c.user_ref == ref,
            quiz_attempts.c.status == "active",
            newest=quiz_attempts.c.id,
        ).label("quiz_attempt_id"),
        one(conversations.c.id, *last_conversation, newest=conversations.c.id).label(
            "conversation_id"
        ),
        one(conversations.c.last_at, *last_conversation, newest=conversations.c.id).label(
            "last_at"
        ),
    )


# Built once: it is read for every message, and building it each time costs CPU.
_CITIZEN_QUERY = _citizen_query()


class CitizenRegistry:
    def __init__(
        self,
        engine: AsyncEngine,
        writer: BatchWriter,
        clock: Callable[[], datetime],
        *,
        cache: bool = True,
        sessions: RedisSessions | None = None,
    ) -> None:
        self._engine = engine
        self._writer = writer
        self._clock = clock
        self._cache: OrderedDict[str, Citizen] = OrderedDict()
        # Off when several workers share the database: another worker may have changed it.
        self._use_cache = cache
        self._sessions = sessions
        self._forgetting: set[asyncio.Task[None]] = set()

    async def get(self, channel: str, ref: str) -> Citizen:
        citizen = self._cache.get(ref)
        if citizen is not None:
            self._cache.move_to_end(ref)
            return citizen
        citizen = await self._load(channel, ref)
        if self._sessions is not None:
            await self._sessions.load(citizen)
        if not self._use_cache:
            return citizen
        self._cache[ref] = citizen
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return citizen

    async def _load(self, channel: str, ref: str) -> Citizen:
        """Everything a turn needs to know about the citizen, in one round trip."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(_CITIZEN_QUERY, {"ref": ref})).one()
        citizen = Citizen(ref, channel, handoff_id=row.handoff_id)
        citizen.quiz_attempt_id = row.quiz_attempt_id
        if row.consent is None:  # never seen, or seen without a choice stored
            return citizen
        citizen.consent, citizen.commune, citizen.awaiting = (
            row.consent,
            row.commune,
            row.awaiting,
        )
        citizen.nickname = row.nickname
        citizen.newsletter = bool(row.newsletter)
        if citizen.consented and row.conversation_id is not None:
            citizen.conversation_id = row.conversation_id
            citizen.last_at = aware(row.last_at) if row.last_at else None
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

    async def end_turn(self, citizen: Citizen) -> None:
        """The turn is over: keep the session where the next worker will find it."""
        if self._sessions is not None and not citizen.erased:
            await self._sessions.save(citizen)

    def forget(self, ref: str) -> None:
        """After an erasure: the next message is a first contact again."""
        self._cache.pop(ref, None)
        if self._sessions is not None:
            task = asyncio.get_running_loop().create_task(self._sessions.forget(ref))
            self._forgetting.add(task)
            task.add_done_callback(self._forgetting.discard)

    async def close(self) -> None:
        if self._forgetting:
            await asyncio.gather(*self._forgetting, return_exceptions=True)
        if self._sessions is not None:
            await self._sessions.close()
