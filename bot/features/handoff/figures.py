"""The handoff's figures: how many conversations went to volunteers, and how fast volunteers
answered."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.admin.figures import DashboardRow, FigureProvider, Period, ReportPart, blank
from bot.core.vntime import aware
from bot.db.models import handoffs


@dataclass(frozen=True)
class HandoffFigures:
    total: int
    answered: int
    expired: int
    by_reason: dict[str, int]
    median_response_min: float | None


async def figures(conn: AsyncConnection, period: Period) -> HandoffFigures:
    begin, end = period.bounds
    h = handoffs.c
    rows = (
        await conn.execute(
            select(h.reason, h.status, h.created_at, h.first_response_at).where(
                h.created_at >= begin, h.created_at < end
            )
        )
    ).all()
    waits = sorted(
        (aware(r.first_response_at) - aware(r.created_at)).total_seconds() / 60
        for r in rows
        if r.first_response_at is not None
    )
    reasons: dict[str, int] = {}
    for r in rows:
        reasons[r.reason] = reasons.get(r.reason, 0) + 1
    return HandoffFigures(
        total=len(rows),
        answered=len(waits),
        expired=sum(1 for r in rows if r.status == "expired"),
        by_reason=reasons,
        median_response_min=round(waits[len(waits) // 2], 1) if waits else None,
    )


def dashboard(f: HandoffFigures) -> list[DashboardRow]:
    value = f"{f.total} / {f.answered} / {f.expired}"
    if f.median_response_min is not None:
        value += f" (trả lời sau {f.median_response_min} phút, trung vị)"
    return [
        DashboardRow("Chuyển tình nguyện viên: tổng / đã trả lời / quá hạn", value, "handoffs")
    ]


def report(f: HandoffFigures) -> ReportPart:
    return ReportPart(
        summary=[
            ["Cuộc trò chuyện chuyển tình nguyện viên", f.total],
            ["  trong đó: được tình nguyện viên trả lời", f.answered],
            ["  trong đó: quá hạn chưa ai nhận (đã xin lỗi)", f.expired],
            [
                "Thời gian chờ tình nguyện viên trả lời (trung vị, phút)",
                blank(f.median_response_min),
            ],
        ]
    )


PROVIDER = FigureProvider("handoffs", figures, dashboard, report)
