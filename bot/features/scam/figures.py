"""The scam check's figures: messages residents sent to check, by the risk found."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.admin.figures import DashboardRow, FigureProvider, Period, ReportPart
from bot.db.models import messages

RISKS = ("likely_scam", "suspicious", "low")


@dataclass(frozen=True)
class ScamFigures:
    likely_scam: int
    suspicious: int
    low: int


async def figures(conn: AsyncConnection, period: Period) -> ScamFigures:
    begin, end = period.bounds
    m = messages.c
    intents = [f"scam_check_{risk}" for risk in RISKS]
    counts = dict(
        (
            await conn.execute(
                select(m.intent, func.count())
                .where(
                    m.created_at >= begin,
                    m.created_at < end,
                    m.direction == "in",
                    m.intent.in_(intents),
                )
                .group_by(m.intent)
            )
        ).all()
    )
    return ScamFigures(*(int(counts.get(f"scam_check_{risk}", 0)) for risk in RISKS))


def dashboard(f: ScamFigures) -> list[DashboardRow]:
    return [
        DashboardRow(
            "Kiểm tra tin nghi lừa đảo: rất có thể / đáng ngờ / ít rủi ro",
            f"{f.likely_scam} / {f.suspicious} / {f.low}",
            "scam-checks",
        )
    ]


def report(f: ScamFigures) -> ReportPart:
    return ReportPart(
        summary=[
            ["Tin nhắn nghi lừa đảo người dân gửi kiểm tra", f.likely_scam + f.suspicious + f.low],
            ["  trong đó: rất có thể lừa đảo", f.likely_scam],
            ["  trong đó: đáng ngờ", f.suspicious],
        ]
    )


PROVIDER = FigureProvider("scam_checks", figures, dashboard, report)
