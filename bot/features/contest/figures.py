"""The writing contest's figures: entries submitted in the period."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.admin.figures import DashboardRow, FigureProvider, Period, ReportPart
from bot.db.models import contest_submissions

# Volunteers collect the entries, so the report counts them on the volunteers' sheet.
SHEET = "Tình nguyện viên"


@dataclass(frozen=True)
class ContestFigures:
    submissions: int


async def figures(conn: AsyncConnection, period: Period) -> ContestFigures:
    begin, end = period.bounds
    s = contest_submissions.c
    count = (
        await conn.execute(
            select(func.count()).where(
                s.status == "submitted", s.created_at >= begin, s.created_at < end
            )
        )
    ).scalar_one()
    return ContestFigures(int(count))


def dashboard(f: ContestFigures) -> list[DashboardRow]:
    return [DashboardRow("Bài dự thi viết", str(f.submissions), "submissions")]


def report(f: ContestFigures) -> ReportPart:
    return ReportPart(
        sheets={SHEET: [["Bài dự thi viết về chuyển đổi số nhận được", f.submissions]]}
    )


def as_json(f: ContestFigures) -> int:
    return f.submissions


PROVIDER = FigureProvider("contest_submissions", figures, dashboard, report, as_json)
