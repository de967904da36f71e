"""The newsletter's figures: subscribers now, issues sent in the period and their delivery; and
the alerts sent to a segment."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.admin.figures import DashboardRow, FigureProvider, Period, ReportPart, Row
from bot.db.models import citizens, newsletter_issues, outbox
from bot.features.newsletter.desk import ALERT_KIND, OUTBOX_KIND


@dataclass(frozen=True)
class NewsletterFigures:
    subscribers: int
    issues: int
    # Sends queued inside the platforms' messaging windows, and subscribers skipped outside them.
    queued: int
    skipped: int
    sent: int
    failed: int
    cancelled: int
    # Alerts (e.g. a new scam wave) broadcast in the period, and their messages sent.
    alerts: int
    alerts_sent: int


async def figures(conn: AsyncConnection, period: Period) -> NewsletterFigures:
    begin, end = period.bounds
    n = newsletter_issues.c
    subscribers = (
        await conn.execute(
            select(func.count()).where(
                citizens.c.newsletter.is_(True), citizens.c.consent == "granted"
            )
        )
    ).scalar_one()
    issues = (
        await conn.execute(
            select(func.count(), func.sum(n.queued), func.sum(n.skipped)).where(
                n.sent_at >= begin, n.sent_at < end, n.status == "sent", n.kind == OUTBOX_KIND
            )
        )
    ).one()
    alerts = (
        await conn.execute(
            select(func.count()).where(
                n.sent_at >= begin, n.sent_at < end, n.status == "sent", n.kind == ALERT_KIND
            )
        )
    ).scalar_one()
    by_kind = (
        await conn.execute(
            select(outbox.c.kind, outbox.c.status, func.count())
            .where(
                outbox.c.issue_id.is_not(None),
                outbox.c.created_at >= begin,
                outbox.c.created_at < end,
            )
            .group_by(outbox.c.kind, outbox.c.status)
        )
    ).all()
    sends = {status: n for kind, status, n in by_kind if kind == OUTBOX_KIND}
    alert_sends = {status: n for kind, status, n in by_kind if kind == ALERT_KIND}
    return NewsletterFigures(
        subscribers=int(subscribers),
        issues=int(issues[0] or 0),
        queued=int(issues[1] or 0),
        skipped=int(issues[2] or 0),
        sent=int(sends.get("sent", 0)),
        failed=int(sends.get("dead", 0)),
        cancelled=int(sends.get("cancelled", 0)),
        alerts=int(alerts),
        alerts_sent=int(alert_sends.get("sent", 0)),
    )


def dashboard(f: NewsletterFigures) -> list[DashboardRow]:
    return [
        DashboardRow(
            "Bản tin: người đăng ký / số phát hành / đã gửi / bỏ qua",
            f"{f.subscribers} / {f.issues} / {f.sent} / {f.skipped}",
            "newsletter",
        ),
        DashboardRow("Cảnh báo: số đợt / tin đã gửi", f"{f.alerts} / {f.alerts_sent}", "alerts"),
    ]


def report(f: NewsletterFigures) -> ReportPart:
    sheet: list[Row] = [
        ["Bản tin chuyển đổi số", "Giá trị"],
        ["Người đang đăng ký nhận bản tin", f.subscribers],
        ["Số bản tin phát hành trong kỳ", f.issues],
        ["Lượt gửi (trong thời gian nền tảng cho phép)", f.queued],
        ["Lượt bỏ qua (ngoài thời gian cho phép)", f.skipped],
        ["Gửi thành công", f.sent],
        ["Gửi lỗi", f.failed],
        ["Số đợt cảnh báo gửi trong kỳ", f.alerts],
        ["Tin cảnh báo gửi thành công", f.alerts_sent],
    ]
    return ReportPart(sheets={"Bản tin": sheet})


PROVIDER = FigureProvider("newsletter", figures, dashboard, report)
