"""The quiz's figures: attempts, players and scores, players per commune."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.admin.figures import (
    DashboardRow,
    FigureProvider,
    Period,
    ReportPart,
    Row,
    blank,
    by_count,
)
from bot.db.models import quiz_attempts


@dataclass(frozen=True)
class QuizFigures:
    attempts: int
    finished: int
    # Attempts inside a contest period, the others are practice.
    counted: int
    practice: int
    players: int
    average_score: float | None
    by_commune: dict[str, int]


async def figures(conn: AsyncConnection, period: Period) -> QuizFigures:
    begin, end = period.bounds
    q = quiz_attempts.c
    rows = (
        await conn.execute(
            select(q.counted, q.status, q.score, q.user_ref, q.commune).where(
                q.started_at >= begin, q.started_at < end
            )
        )
    ).all()
    finished = [r for r in rows if r.status == "finished"]
    counted = [r for r in finished if r.counted]
    communes: dict[str, int] = {}
    for r in counted:
        if r.commune:
            communes[r.commune] = communes.get(r.commune, 0) + 1
    return QuizFigures(
        attempts=len(rows),
        finished=len(finished),
        counted=len(counted),
        practice=len(finished) - len(counted),
        players=len({r.user_ref for r in counted if r.user_ref}),
        average_score=round(sum(r.score for r in finished) / len(finished), 2)
        if finished
        else None,
        by_commune=by_count(communes),
    )


def dashboard(f: QuizFigures) -> list[DashboardRow]:
    average = f.average_score if f.average_score is not None else "—"
    return [
        DashboardRow(
            "Cuộc thi: lượt hoàn thành / tính điểm / người dự thi / điểm TB",
            f"{f.finished} / {f.counted} / {f.players} / {average}",
            "quiz",
        )
    ]


def report(f: QuizFigures) -> ReportPart:
    sheet: list[Row] = [
        ["Cuộc thi trực tuyến tìm hiểu chuyển đổi số", "Giá trị"],
        ["Lượt thi bắt đầu", f.attempts],
        ["Lượt thi hoàn thành", f.finished],
        ["  trong đó: lượt tính điểm cuộc thi", f.counted],
        ["  trong đó: lượt luyện tập", f.practice],
        ["Số người dự thi (lượt tính điểm)", f.players],
        ["Điểm trung bình (thang 10)", blank(f.average_score)],
    ]
    sheet += [[f"Người dự thi ở {name}", n] for name, n in f.by_commune.items()]
    return ReportPart(sheets={"Cuộc thi": sheet})


PROVIDER = FigureProvider("quiz", figures, dashboard, report)
