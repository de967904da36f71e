"""Figures for a period: what the dashboard shows, `/admin/api/stats` returns and the monthly
report will use. Aggregates only: no user reference leaves this module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import Integer, and_, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.models import (
    citizens,
    contest_submissions,
    conversations,
    dead_letters,
    feedback,
    guidance_sessions,
    handoffs,
    inbox,
    messages,
    newsletter_issues,
    outbox,
    quiz_attempts,
)
from bot.vntime import VIETNAM, aware

MAX_DAYS = 366
# Reports count days as the province lives them (Vietnam has no daylight saving time).
TOP_UNANSWERED = 15
SCAM_RISKS = ("likely_scam", "suspicious", "low")
UNKNOWN_COMMUNE = "Chưa cho biết"


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


def _handoff_figures(rows: list[Any]) -> dict[str, Any]:
    """How many conversations went to volunteers, and how fast volunteers answered."""
    waits = sorted(
        (aware(r.first_response_at) - aware(r.created_at)).total_seconds() / 60
        for r in rows
        if r.first_response_at is not None
    )
    reasons: dict[str, int] = {}
    for r in rows:
        reasons[r.reason] = reasons.get(r.reason, 0) + 1
    return {
        "total": len(rows),
        "answered": len(waits),
        "expired": sum(1 for r in rows if r.status == "expired"),
        "by_reason": reasons,
        "median_response_min": round(waits[len(waits) // 2], 1) if waits else None,
    }


def _guidance_figures(rows: list[Any]) -> dict[str, Any]:
    """Volunteers' in-person help: sessions, residents, per content and per commune."""
    by_topic: dict[str, int] = {}
    by_commune: dict[str, int] = {}
    for r in rows:
        for topic in r.topics.split(","):
            by_topic[topic] = by_topic.get(topic, 0) + r.residents
        by_commune[r.commune] = by_commune.get(r.commune, 0) + r.residents
    return {
        "sessions": len(rows),
        "residents": sum(r.residents for r in rows),
        "by_topic": dict(sorted(by_topic.items(), key=lambda kv: -kv[1])),
        "by_commune": dict(sorted(by_commune.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def _quiz_figures(rows: list[Any]) -> dict[str, Any]:
    finished = [r for r in rows if r.status == "finished"]
    counted = [r for r in finished if r.counted]
    communes: dict[str, int] = {}
    for r in counted:
        if r.commune:
            communes[r.commune] = communes.get(r.commune, 0) + 1
    return {
        "attempts": len(rows),
        "finished": len(finished),
        "counted": len(counted),
        "practice": len(finished) - len(counted),
        "players": len({r.user_ref for r in counted if r.user_ref}),
        "average_score": round(sum(r.score for r in finished) / len(finished), 2)
        if finished
        else None,
        "by_commune": dict(sorted(communes.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def _day(value: Any) -> str:
    return str(value)[:10]


async def compute(engine: AsyncEngine, period: Period) -> dict[str, Any]:
    begin, end = period.bounds
    m = messages.c
    inbound = and_(m.created_at >= begin, m.created_at < end, m.direction == "in")
    outbound = and_(m.created_at >= begin, m.created_at < end, m.direction == "out")
    if engine.dialect.name == "sqlite":
        day = func.date(m.created_at, "+7 hours")
    else:
        # A literal, not a bound parameter: PostgreSQL must see the same expression in GROUP BY.
        day = func.date(func.timezone(literal_column("'Asia/Ho_Chi_Minh'"), m.created_at))
    as_int = Integer()
    async with engine.connect() as conn:
        per_day = (
            await conn.execute(
                select(
                    day.label("day"),
                    func.count().label("messages"),
                    func.count(func.distinct(m.user_ref)).label("users"),
                )
                .where(inbound)
                .group_by(day)
            )
        ).all()
        by_channel = (
            await conn.execute(
                select(m.channel, func.count(), func.count(func.distinct(m.user_ref)))
                .where(inbound)
                .group_by(m.channel)
            )
        ).all()
        replies_by_channel = dict(
            (
                await conn.execute(
                    select(m.channel, func.count()).where(outbound).group_by(m.channel)
                )
            ).all()
        )
        by_topic = (
            await conn.execute(select(m.topic, func.count()).where(inbound).group_by(m.topic))
        ).all()
        totals = (
            await conn.execute(
                select(
                    func.count(),
                    func.count(func.distinct(m.user_ref)),
                    func.sum(func.cast(m.fallback, as_int)),
                    func.sum(func.cast(m.user_ref.is_(None), as_int)),
                ).where(inbound)
            )
        ).one()
        conversation_count = (
            await conn.execute(
                select(func.count()).where(
                    conversations.c.started_at >= begin, conversations.c.started_at < end
                )
            )
        ).scalar_one()
        unanswered = (
            await conn.execute(
                select(func.lower(m.text).label("q"), func.count().label("n"))
                .where(inbound, m.fallback.is_(True), m.text.is_not(None))
                .group_by(func.lower(m.text))
                .order_by(func.count().desc(), func.lower(m.text))
                .limit(TOP_UNANSWERED)
            )
        ).all()
        scam_checks = dict(
            (
                await conn.execute(
                    select(m.intent, func.count())
                    .where(inbound, m.intent.in_([f"scam_check_{r}" for r in SCAM_RISKS]))
                    .group_by(m.intent)
                )
            ).all()
        )
        handoff_rows = (
            await conn.execute(
                select(
                    handoffs.c.reason,
                    handoffs.c.status,
                    handoffs.c.created_at,
                    handoffs.c.first_response_at,
                ).where(handoffs.c.created_at >= begin, handoffs.c.created_at < end)
            )
        ).all()
        quiz_rows = (
            await conn.execute(
                select(
                    quiz_attempts.c.counted,
                    quiz_attempts.c.status,
                    quiz_attempts.c.score,
                    quiz_attempts.c.user_ref,
                    quiz_attempts.c.commune,
                ).where(quiz_attempts.c.started_at >= begin, quiz_attempts.c.started_at < end)
            )
        ).all()
        subscribers = (
            await conn.execute(
                select(func.count()).where(
                    citizens.c.newsletter.is_(True), citizens.c.consent == "granted"
                )
            )
        ).scalar_one()
        issues = (
            await conn.execute(
                select(
                    func.count(),
                    func.sum(newsletter_issues.c.queued),
                    func.sum(newsletter_issues.c.skipped),
                ).where(
                    newsletter_issues.c.sent_at >= begin,
                    newsletter_issues.c.sent_at < end,
                    newsletter_issues.c.status == "sent",
                )
            )
        ).one()
        issue_sends = dict(
            (
                await conn.execute(
                    select(outbox.c.status, func.count())
                    .where(
                        outbox.c.issue_id.is_not(None),
                        outbox.c.created_at >= begin,
                        outbox.c.created_at < end,
                    )
                    .group_by(outbox.c.status)
                )
            ).all()
        )
        guidance_rows = (
            await conn.execute(
                select(
                    guidance_sessions.c.commune,
                    guidance_sessions.c.residents,
                    guidance_sessions.c.topics,
                ).where(
                    guidance_sessions.c.held_on >= period.start,
                    guidance_sessions.c.held_on <= period.end,
                )
            )
        ).all()
        submissions = (
            await conn.execute(
                select(func.count()).where(
                    contest_submissions.c.status == "submitted",
                    contest_submissions.c.created_at >= begin,
                    contest_submissions.c.created_at < end,
                )
            )
        ).scalar_one()
        ratings = (
            await conn.execute(
                select(feedback.c.topic, feedback.c.helpful, func.count())
                .where(feedback.c.created_at >= begin, feedback.c.created_at < end)
                .group_by(feedback.c.topic, feedback.c.helpful)
            )
        ).all()
        per_commune = (
            await conn.execute(
                select(
                    citizens.c.commune,
                    func.count(func.distinct(m.user_ref)),
                    func.count(),
                )
                .select_from(messages.join(citizens, citizens.c.user_ref == m.user_ref))
                .where(inbound)
                .group_by(citizens.c.commune)
            )
        ).all()
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
        receipts = dict(
            (
                await conn.execute(
                    select(outbox.c.delivery, func.count())
                    .where(
                        outbox.c.created_at >= begin,
                        outbox.c.created_at < end,
                        outbox.c.delivery.is_not(None),
                    )
                    .group_by(outbox.c.delivery)
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
    messages_in, users = int(totals[0] or 0), int(totals[1] or 0)
    fallbacks, anonymous = int(totals[2] or 0), int(totals[3] or 0)
    helpful = sum(int(n) for _, ok, n in ratings if ok)
    not_helpful = sum(int(n) for _, ok, n in ratings if not ok)
    rated_topics: dict[str, dict[str, int]] = {}
    for topic, ok, n in ratings:
        entry = rated_topics.setdefault(topic or "?", {"helpful": 0, "not_helpful": 0})
        entry["helpful" if ok else "not_helpful"] += int(n)
    communes = {
        (name or UNKNOWN_COMMUNE): {"users": int(u), "messages": int(n)}
        for name, u, n in sorted(per_commune, key=lambda r: (r[0] is None, -r[2], r[0] or ""))
    }
    return {
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "messages": messages_in,
        "replies": sum(int(v) for v in replies_by_channel.values()),
        "users": users,
        "anonymous_messages": anonymous,
        "conversations": int(conversation_count),
        "fallbacks": fallbacks,
        "fallback_rate": round(fallbacks / messages_in, 4) if messages_in else 0.0,
        "unanswered": [{"text": q, "count": int(n)} for q, n in unanswered],
        "per_day": [
            {
                "day": d.isoformat(),
                "messages": daily.get(d.isoformat(), (0, 0))[0],
                "users": daily.get(d.isoformat(), (0, 0))[1],
            }
            for d in period.days()
        ],
        "by_channel": {
            c: {"messages": int(n), "users": int(u), "replies": int(replies_by_channel.get(c, 0))}
            for c, n, u in by_channel
        },
        "by_topic": {t: int(n) for t, n in sorted(by_topic, key=lambda r: (-r[1], r[0] or ""))},
        "by_commune": communes,
        "satisfaction": {
            "helpful": helpful,
            "not_helpful": not_helpful,
            "rate": round(helpful / (helpful + not_helpful), 4) if helpful + not_helpful else None,
            "by_topic": rated_topics,
        },
        "handoffs": _handoff_figures(handoff_rows),
        "quiz": _quiz_figures(quiz_rows),
        "guidance": _guidance_figures(guidance_rows),
        "contest_submissions": int(submissions),
        "newsletter": {
            "subscribers": int(subscribers),
            "issues": int(issues[0] or 0),
            "queued": int(issues[1] or 0),
            "skipped": int(issues[2] or 0),
            "sent": int(issue_sends.get("sent", 0)),
            "failed": int(issue_sends.get("dead", 0)),
            "cancelled": int(issue_sends.get("cancelled", 0)),
        },
        "scam_checks": {r: int(scam_checks.get(f"scam_check_{r}", 0)) for r in SCAM_RISKS},
        "followers": {
            "new": int(follows.get("follow", 0)),
            "left": int(follows.get("unfollow", 0)),
        },
        "sends": {k: int(v) for k, v in sends.items()},
        "receipts": {k: int(v) for k, v in receipts.items()},
        "dead_letters": int(dead),
    }
