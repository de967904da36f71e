"""The handoff's figures: how many conversations went to volunteers, how fast volunteers
answered, how citizens rated the help and what it achieved, per commune and per volunteer
(volunteers are staff, named by their username; citizens stay out of it)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.admin import names
from bot.admin.figures import DashboardRow, FigureProvider, Period, ReportPart, Row, blank
from bot.admin.stats import UNKNOWN_COMMUNE
from bot.core.vntime import aware
from bot.db.models import handoff_outcomes, handoffs
from bot.features.handoff.outcomes import OUTCOMES

BY_COMMUNE_SHEET = "Hỗ trợ trực tuyến theo xã"
BY_VOLUNTEER_SHEET = "Hỗ trợ trực tuyến theo TNV"


@dataclass(frozen=True)
class DeskRow:
    """One commune's or one volunteer's handoffs: how many, rated how, achieving what (counts
    in the order of OUTCOMES)."""

    name: str
    handoffs: int
    rated: int
    average_rating: float | None
    outcomes: tuple[int, ...]


@dataclass(frozen=True)
class HandoffFigures:
    total: int
    answered: int
    expired: int
    by_reason: dict[str, int]
    median_response_min: float | None
    rated: int = 0
    average_rating: float | None = None  # 3 satisfied, 2 so-so, 1 not satisfied
    outcomes: dict[str, int] | None = None  # by Vietnamese name
    by_commune: tuple[DeskRow, ...] = ()
    by_volunteer: tuple[DeskRow, ...] = ()


def _average(ratings: list[int]) -> float | None:
    return round(sum(ratings) / len(ratings), 2) if ratings else None


def _desk_rows(groups: dict[str, list[Any]], done: dict[int, set[str]]) -> tuple[DeskRow, ...]:
    table = []
    for name, rows in groups.items():
        ratings = [r.rating for r in rows if r.rating]
        counts = tuple(sum(1 for r in rows if key in done.get(r.id, ())) for key in OUTCOMES)
        table.append(DeskRow(name, len(rows), len(ratings), _average(ratings), counts))
    # Most handoffs first, then by name; "not given" last.
    return tuple(sorted(table, key=lambda d: (d.name == UNKNOWN_COMMUNE, -d.handoffs, d.name)))


def _grouped(rows: Iterable[Any], key: Any) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = {}
    for row in rows:
        name = key(row)
        if name is not None:
            groups.setdefault(name, []).append(row)
    return groups


async def figures(conn: AsyncConnection, period: Period) -> HandoffFigures:
    begin, end = period.bounds
    h = handoffs.c
    rows = (
        await conn.execute(
            select(
                h.id, h.reason, h.status, h.created_at, h.first_response_at, h.commune,
                h.claimed_by, h.rating,
            ).where(h.created_at >= begin, h.created_at < end)
        )
    ).all()  # fmt: skip
    o = handoff_outcomes.c
    done: dict[int, set[str]] = {}
    for handoff_id, outcome in (
        await conn.execute(
            select(o.handoff_id, o.outcome)
            .join(handoffs, handoffs.c.id == o.handoff_id)
            .where(h.created_at >= begin, h.created_at < end)
        )
    ).all():
        done.setdefault(handoff_id, set()).add(outcome)
    ratings = [r.rating for r in rows if r.rating]
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
        rated=len(ratings),
        average_rating=_average(ratings),
        outcomes={
            label: sum(1 for keys in done.values() if key in keys)
            for key, label in OUTCOMES.items()
        },
        by_commune=_desk_rows(
            _grouped(rows, lambda r: names.commune(r.commune) if r.commune else UNKNOWN_COMMUNE),
            done,
        ),
        by_volunteer=_desk_rows(_grouped(rows, lambda r: r.claimed_by), done),
    )


def _decimal(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}".replace(".", ",")


def _sheet(first: str, table: tuple[DeskRow, ...]) -> list[Row]:
    header: Row = [first, "Cuộc hỗ trợ", "Lượt đánh giá", "Điểm hài lòng TB (thang 3)"]
    rows: list[Row] = [header + list(OUTCOMES.values())]
    rows += [[d.name, d.handoffs, d.rated, blank(d.average_rating), *d.outcomes] for d in table]
    return rows


def dashboard(f: HandoffFigures) -> list[DashboardRow]:
    value = f"{f.total} / {f.answered} / {f.expired}"
    if f.median_response_min is not None:
        value += f" (trả lời sau {f.median_response_min} phút, trung vị)"
    done = " · ".join(f"{name}: {n}" for name, n in (f.outcomes or {}).items() if n)
    return [
        DashboardRow("Chuyển tình nguyện viên: tổng / đã trả lời / quá hạn", value, "handoffs"),
        DashboardRow(
            "Người dân đánh giá hỗ trợ: số lượt / điểm trung bình (thang 3)",
            f"{f.rated} / {_decimal(f.average_rating)}",
            "handoff-ratings",
        ),
        DashboardRow(
            "Kết quả hỗ trợ của tình nguyện viên", done or "chưa ghi", "handoff-outcomes"
        ),
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
            ["Lượt người dân đánh giá hỗ trợ", f.rated],
            ["Điểm hài lòng trung bình (thang 3)", blank(f.average_rating)],
            *([f"Kết quả: {name}", n] for name, n in (f.outcomes or {}).items()),
        ],
        sheets={
            BY_COMMUNE_SHEET: _sheet("Xã, phường", f.by_commune),
            BY_VOLUNTEER_SHEET: _sheet("Tình nguyện viên", f.by_volunteer),
        },
    )


PROVIDER = FigureProvider("handoffs", figures, dashboard, report)
