"""The guidance log's figures: volunteers' in-person help sessions, residents helped, per
content and per commune."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.admin.figures import DashboardRow, FigureProvider, Period, ReportPart, Row, by_count
from bot.db.models import guidance_sessions
from bot.features.guidance.desk import TOPICS

SHEET = "Tình nguyện viên"


@dataclass(frozen=True)
class GuidanceFigures:
    sessions: int
    residents: int
    # Residents per content (a session counts for each of its contents) and per commune.
    by_topic: dict[str, int]
    by_commune: dict[str, int]


async def figures(conn: AsyncConnection, period: Period) -> GuidanceFigures:
    g = guidance_sessions.c
    rows = (
        await conn.execute(
            select(g.commune, g.residents, g.topics).where(
                g.held_on >= period.start, g.held_on <= period.end
            )
        )
    ).all()
    by_topic: dict[str, int] = {}
    by_commune: dict[str, int] = {}
    for r in rows:
        for topic in r.topics.split(","):
            by_topic[topic] = by_topic.get(topic, 0) + r.residents
        by_commune[r.commune] = by_commune.get(r.commune, 0) + r.residents
    return GuidanceFigures(
        sessions=len(rows),
        residents=sum(r.residents for r in rows),
        by_topic=dict(sorted(by_topic.items(), key=lambda kv: -kv[1])),
        by_commune=by_count(by_commune),
    )


def dashboard(f: GuidanceFigures) -> list[DashboardRow]:
    return [
        DashboardRow(
            "Tình nguyện viên hỗ trợ trực tiếp: buổi / lượt người dân",
            f"{f.sessions} / {f.residents}",
            "guidance",
        )
    ]


def report(f: GuidanceFigures) -> ReportPart:
    sheet: list[Row] = [
        ["Tình nguyện viên hỗ trợ người dân trực tiếp", "Giá trị"],
        ["Số buổi hỗ trợ", f.sessions],
        ["Số lượt người dân được hỗ trợ", f.residents],
    ]
    sheet += [[f"  nội dung: {TOPICS.get(t, t)}", n] for t, n in f.by_topic.items()]
    sheet += [[f"  tại {name}", n] for name, n in f.by_commune.items()]
    return ReportPart(sheets={SHEET: sheet})


PROVIDER = FigureProvider("guidance", figures, dashboard, report)
