"""Figures for a period: what the dashboard shows, `/admin/api/stats` returns and the monthly
report uses. Aggregates only: no user reference leaves this module.

The core figures (traffic and delivery) are collected here; each feature's come from its
`FigureProvider` (bot/admin/figures.py), on the same connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Integer, and_, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from bot.admin.figures import Collected, FigureProvider, Period, RangeError
from bot.core.vntime import VIETNAM
from bot.db.models import citizens, conversations, dead_letters, feedback, inbox, messages, outbox

__all__ = ["Period", "RangeError", "Stats", "UNKNOWN_COMMUNE", "compute"]

TOP_UNANSWERED = 15
UNKNOWN_COMMUNE = "Chưa cho biết"
_HOURS_AHEAD = int(VIETNAM.utcoffset(None).total_seconds()) // 3600


@dataclass(frozen=True)
class Question:
    text: str
    count: int


@dataclass(frozen=True)
class Day:
    day: str
    messages: int
    users: int


@dataclass(frozen=True)
class ChannelFigures:
    messages: int
    users: int
    replies: int


@dataclass(frozen=True)
class CommuneFigures:
    users: int
    messages: int


@dataclass(frozen=True)
class Ratings:
    helpful: int
    not_helpful: int


@dataclass(frozen=True)
class Satisfaction:
    helpful: int
    not_helpful: int
    rate: float | None
    by_topic: dict[str, Ratings]


@dataclass(frozen=True)
class Traffic:
    """What residents asked and how the assistant answered."""

    messages: int
    replies: int
    # People who consented to their data being kept; the others' messages are anonymous.
    users: int
    anonymous_messages: int
    conversations: int
    fallbacks: int
    fallback_rate: float
    unanswered: list[Question]
    per_day: list[Day]
    by_channel: dict[str, ChannelFigures]
    by_topic: dict[str, int]
    by_commune: dict[str, CommuneFigures]
    satisfaction: Satisfaction
    # "Trả lời của nhân viên trang": replies page/OA staff sent from outside the assistant (human
    # replies, apart from volunteers' handoff replies), and the citizens' messages the assistant
    # left to them.
    staff_replies: int = 0
    held_for_staff: int = 0


@dataclass(frozen=True)
class Followers:
    new: int
    left: int


@dataclass(frozen=True)
class Delivery:
    """What the platforms did with what was sent, and what could not be handled."""

    followers: Followers
    sends: dict[str, int]
    receipts: dict[str, int]
    dead_letters: int


@dataclass(frozen=True)
class Stats:
    period: Period
    traffic: Traffic
    features: list[Collected]
    delivery: Delivery

    def as_json(self) -> dict[str, Any]:
        """The shape of /admin/api/stats: the period, traffic, each feature's figures under
        its name, delivery."""
        return {
            "from": self.period.start.isoformat(),
            "to": self.period.end.isoformat(),
            **asdict(self.traffic),
            **{part.name: part.json for part in self.features},
            **asdict(self.delivery),
        }


def _local_day(column: Any, dialect: str) -> ColumnElement[Any]:
    """The Vietnam-time date of a stored UTC timestamp, in SQL."""
    if dialect == "sqlite":
        return func.date(column, f"{_HOURS_AHEAD:+d} hours")
    # A literal, not a bound parameter: PostgreSQL must see the same expression in GROUP BY.
    zone = literal_column(f"INTERVAL '{_HOURS_AHEAD:+03d}:00'")
    return func.date(func.timezone(zone, column))


def _within(column: Any, period: Period) -> ColumnElement[bool]:
    begin, end = period.bounds
    return and_(column >= begin, column < end)


def _inbound(period: Period) -> ColumnElement[bool]:
    return and_(_within(messages.c.created_at, period), messages.c.direction == "in")


async def _count(conn: AsyncConnection, table: Any, period: Period, column: str) -> int:
    where = _within(table.c[column], period)
    return int((await conn.execute(select(func.count()).where(where))).scalar_one())


async def _grouped(
    conn: AsyncConnection, column: Any, where: ColumnElement[bool]
) -> dict[str, int]:
    rows = (await conn.execute(select(column, func.count()).where(where).group_by(column))).all()
    return {key: int(n) for key, n in rows}


async def _per_day(conn: AsyncConnection, period: Period) -> list[Day]:
    m = messages.c
    day = _local_day(m.created_at, conn.dialect.name)
    rows = (
        await conn.execute(
            select(
                day.label("day"),
                func.count().label("messages"),
                func.count(func.distinct(m.user_ref)).label("users"),
            )
            .where(_inbound(period))
            .group_by(day)
        )
    ).all()
    daily = {str(r.day)[:10]: (int(r.messages), int(r.users)) for r in rows}
    return [Day(d.isoformat(), *daily.get(d.isoformat(), (0, 0))) for d in period.days()]


async def _by_channel(
    conn: AsyncConnection, period: Period
) -> tuple[dict[str, ChannelFigures], int]:
    """Messages, users and replies per channel, and the replies on all channels."""
    m = messages.c
    asked = (
        await conn.execute(
            select(m.channel, func.count(), func.count(func.distinct(m.user_ref)))
            .where(_inbound(period))
            .group_by(m.channel)
        )
    ).all()
    answered = and_(_within(m.created_at, period), m.direction == "out")
    replies = await _grouped(conn, m.channel, answered)
    figures = {c: ChannelFigures(int(n), int(u), replies.get(c, 0)) for c, n, u in asked}
    return figures, sum(replies.values())


async def _by_topic(conn: AsyncConnection, period: Period) -> dict[str, int]:
    m = messages.c
    rows = (
        await conn.execute(select(m.topic, func.count()).where(_inbound(period)).group_by(m.topic))
    ).all()
    return {t: int(n) for t, n in sorted(rows, key=lambda r: (-r[1], r[0] or ""))}


async def _unanswered(conn: AsyncConnection, period: Period) -> list[Question]:
    m = messages.c
    text = func.lower(m.text)
    rows = (
        await conn.execute(
            select(text.label("q"), func.count().label("n"))
            .where(_inbound(period), m.fallback.is_(True), m.text.is_not(None))
            .group_by(text)
            .order_by(func.count().desc(), text)
            .limit(TOP_UNANSWERED)
        )
    ).all()
    return [Question(q, int(n)) for q, n in rows]


async def _by_commune(conn: AsyncConnection, period: Period) -> dict[str, CommuneFigures]:
    m = messages.c
    rows = (
        await conn.execute(
            select(citizens.c.commune, func.count(func.distinct(m.user_ref)), func.count())
            .select_from(messages.join(citizens, citizens.c.user_ref == m.user_ref))
            .where(_inbound(period))
            .group_by(citizens.c.commune)
        )
    ).all()
    ordered = sorted(rows, key=lambda r: (r[0] is None, -r[2], r[0] or ""))
    return {(name or UNKNOWN_COMMUNE): CommuneFigures(int(u), int(n)) for name, u, n in ordered}


async def _satisfaction(conn: AsyncConnection, period: Period) -> Satisfaction:
    f = feedback.c
    rows = (
        await conn.execute(
            select(f.topic, f.helpful, func.count())
            .where(_within(f.created_at, period))
            .group_by(f.topic, f.helpful)
        )
    ).all()
    counts: dict[str, list[int]] = {}
    for topic, ok, n in rows:
        counts.setdefault(topic or "?", [0, 0])[0 if ok else 1] += int(n)
    helpful = sum(int(n) for _, ok, n in rows if ok)
    not_helpful = sum(int(n) for _, ok, n in rows if not ok)
    rated = helpful + not_helpful
    return Satisfaction(
        helpful=helpful,
        not_helpful=not_helpful,
        rate=round(helpful / rated, 4) if rated else None,
        by_topic={topic: Ratings(*pair) for topic, pair in counts.items()},
    )


async def _traffic(conn: AsyncConnection, period: Period) -> Traffic:
    m, as_int = messages.c, Integer()
    totals = (
        await conn.execute(
            select(
                func.count(),
                func.count(func.distinct(m.user_ref)),
                func.sum(func.cast(m.fallback, as_int)),
                func.sum(func.cast(m.user_ref.is_(None), as_int)),
            ).where(_inbound(period))
        )
    ).one()
    asked, users, fallbacks, anonymous = (int(value or 0) for value in totals)
    by_channel, replies = await _by_channel(conn, period)
    return Traffic(
        messages=asked,
        replies=replies,
        users=users,
        anonymous_messages=anonymous,
        conversations=await _count(conn, conversations, period, "started_at"),
        fallbacks=fallbacks,
        fallback_rate=round(fallbacks / asked, 4) if asked else 0.0,
        unanswered=await _unanswered(conn, period),
        per_day=await _per_day(conn, period),
        by_channel=by_channel,
        by_topic=await _by_topic(conn, period),
        by_commune=await _by_commune(conn, period),
        satisfaction=await _satisfaction(conn, period),
        **await _staff(conn, period),
    )


async def _staff(conn: AsyncConnection, period: Period) -> dict[str, int]:
    in_period = _within(inbox.c.received_at, period)
    staff = await _grouped(conn, inbox.c.kind, and_(in_period, inbox.c.kind == "staff_reply"))
    held = await _grouped(conn, inbox.c.status, and_(in_period, inbox.c.status == "held"))
    return {"staff_replies": staff.get("staff_reply", 0), "held_for_staff": held.get("held", 0)}


async def _delivery(conn: AsyncConnection, period: Period) -> Delivery:
    follows = await _grouped(
        conn,
        inbox.c.kind,
        and_(_within(inbox.c.received_at, period), inbox.c.kind.in_(["follow", "unfollow"])),
    )
    sent_in_period = _within(outbox.c.created_at, period)
    return Delivery(
        followers=Followers(follows.get("follow", 0), follows.get("unfollow", 0)),
        sends=await _grouped(conn, outbox.c.status, sent_in_period),
        receipts=await _grouped(
            conn, outbox.c.delivery, and_(sent_in_period, outbox.c.delivery.is_not(None))
        ),
        dead_letters=await _count(conn, dead_letters, period, "created_at"),
    )


async def compute(
    engine: AsyncEngine,
    period: Period,
    providers: Sequence[FigureProvider[Any]],
) -> Stats:
    async with engine.connect() as conn:
        traffic = await _traffic(conn, period)
        features = [await provider.gather(conn, period) for provider in providers]
        delivery = await _delivery(conn, period)
    return Stats(period, traffic, features, delivery)
