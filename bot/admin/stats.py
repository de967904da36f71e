"""Figures for a period: what the dashboard shows, `/admin/api/stats` returns and the monthly
report will use. Aggregates only: no user reference leaves this module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import and_, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.models import dead_letters, inbox, outbox, turns

MAX_DAYS = 366
# Reports count days as the province lives them (Vietnam has no daylight saving time).
VIETNAM = timezone(timedelta(hours=7))
POSITIVE, NEGATIVE = "feedback_positive", "feedback_negative"


class RangeError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @classmethod
    def parse(cls, start: str | None, end: str | None, today: date) -> Period:
        try:
            first = date.fromisoformat(start) if start else today.replace(day=1)
            last = date.fromisoformat(end) if end else today
        except ValueError as exc:
            raise RangeError("ngày phải có dạng YYYY-MM-DD") from exc
        if last < first:
            raise RangeError("ngày kết thúc trước ngày bắt đầu")
        if (last - first).days + 1 > MAX_DAYS:
            raise RangeError(f"khoảng thời gian tối đa {MAX_DAYS} ngày")
        return cls(first, last)

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """Start and end of the period in Vietnam time, as UTC instants (how rows store time)."""
        begin = datetime.combine(self.start, time.min, tzinfo=VIETNAM)
        end = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=VIETNAM)
        return begin.astimezone(timezone.utc), end.astimezone(timezone.utc)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def _day(value: Any) -> str:
    return str(value)[:10]


async def compute(engine: AsyncEngine, period: Period) -> dict[str, Any]:
    begin, end = period.bounds
    in_period = and_(turns.c.created_at >= begin, turns.c.created_at < end)
    if engine.dialect.name == "sqlite":
        day = func.date(turns.c.created_at, "+7 hours")
    else:
        # A literal, not a bound parameter: PostgreSQL must see the same expression in GROUP BY.
        day = func.date(func.timezone(literal_column("'Asia/Ho_Chi_Minh'"), turns.c.created_at))
    async with engine.connect() as conn:
        per_day = (
            await conn.execute(
                select(
                    day.label("day"),
                    func.count().label("messages"),
                    func.count(func.distinct(turns.c.user_ref)).label("users"),
                )
                .where(in_period)
                .group_by(day)
            )
        ).all()
        by_channel = (
            await conn.execute(
                select(turns.c.channel, func.count(), func.count(func.distinct(turns.c.user_ref)))
                .where(in_period)
                .group_by(turns.c.channel)
            )
        ).all()
        by_topic = (
            await conn.execute(
                select(turns.c.topic, func.count()).where(in_period).group_by(turns.c.topic)
            )
        ).all()
        totals = (
            await conn.execute(
                select(
                    func.count(),
                    func.count(func.distinct(turns.c.user_ref)),
                    func.sum(func.cast(turns.c.fallback, turns.c.replies.type)),
                ).where(in_period)
            )
        ).one()
        feedback = dict(
            (
                await conn.execute(
                    select(turns.c.intent, func.count())
                    .where(in_period, turns.c.intent.in_([POSITIVE, NEGATIVE]))
                    .group_by(turns.c.intent)
                )
            ).all()
        )
        follows = dict(
            (
                await conn.execute(
                    select(inbox.c.kind, func.count())
                    .where(
                        inbox.c.received_at >= begin,
                        inbox.c.received_at < end,
                        inbox.c.kind.in_(["follow", "unfollow"]),
                    )
                    .group_by(inbox.c.kind)
                )
            ).all()
        )
        sends = dict(
            (
                await conn.execute(
                    select(outbox.c.status, func.count())
                    .where(outbox.c.created_at >= begin, outbox.c.created_at < end)
                    .group_by(outbox.c.status)
                )
            ).all()
        )
        dead = (
            await conn.execute(
                select(func.count()).where(
                    dead_letters.c.created_at >= begin, dead_letters.c.created_at < end
                )
            )
        ).scalar_one()
    daily = {_day(row.day): (int(row.messages), int(row.users)) for row in per_day}
    messages, users, fallbacks = int(totals[0] or 0), int(totals[1] or 0), int(totals[2] or 0)
    rated = int(feedback.get(POSITIVE, 0)) + int(feedback.get(NEGATIVE, 0))
    return {
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "messages": messages,
        "users": users,
        "fallbacks": fallbacks,
        "fallback_rate": round(fallbacks / messages, 4) if messages else 0.0,
        "per_day": [
            {
                "day": d.isoformat(),
                "messages": daily.get(d.isoformat(), (0, 0))[0],
                "users": daily.get(d.isoformat(), (0, 0))[1],
            }
            for d in period.days()
        ],
        "by_channel": {c: {"messages": int(m), "users": int(u)} for c, m, u in by_channel},
        "by_topic": {t: int(n) for t, n in sorted(by_topic, key=lambda r: -r[1])},
        "satisfaction": {
            "helpful": int(feedback.get(POSITIVE, 0)),
            "not_helpful": int(feedback.get(NEGATIVE, 0)),
            "rate": round(int(feedback.get(POSITIVE, 0)) / rated, 4) if rated else None,
        },
        "followers": {
            "new": int(follows.get("follow", 0)),
            "left": int(follows.get("unfollow", 0)),
        },
        "sends": {k: int(v) for k, v in sends.items()},
        "dead_letters": int(dead),
    }
