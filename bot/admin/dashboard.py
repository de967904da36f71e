"""What the dashboard and the printable report show: the figures of a period against the
period before, under Vietnamese names, with their charts. Both pages render this one view, so
what is printed for the steering committee is what the dashboard showed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.admin import charts, compare, names
from bot.admin.figures import FigureProvider, Period
from bot.admin.report import load_areas
from bot.admin.stats import (
    UNKNOWN_COMMUNE,
    ChannelFigures,
    CommuneFigures,
    Ratings,
    Stats,
    compute,
)

TOP_COMMUNES = 15
OTHER_COMMUNES = "Các xã, phường khác"


@dataclass(frozen=True)
class Named:
    """A table row: a name, then its numbers."""

    name: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class View:
    stats: Stats
    before: Stats
    label: str
    before_label: str
    headlines: list[compare.Headline]
    by_channel: list[Named]
    by_topic: list[Named]
    # The content areas of the province's communication plan (content/report_areas.yml).
    by_area: list[Named]
    by_commune: list[Named]
    satisfaction: list[Named]
    daily_chart: Markup
    topic_chart: Markup
    commune_chart: Markup


def _share(n: int, total: int) -> str:
    return f"{100 * n / total:.1f}%".replace(".", ",") if total else "—"


def _channels(rows: dict[str, ChannelFigures]) -> list[Named]:
    return [Named(names.channel(c), (v.messages, v.users, v.replies)) for c, v in rows.items()]


def _communes(rows: dict[str, CommuneFigures]) -> list[Named]:
    return [Named(names.commune(c), (v.users, v.messages)) for c, v in rows.items()]


def _ratings(rows: dict[str, Ratings]) -> list[Named]:
    return [Named(names.topic(t), (v.helpful, v.not_helpful)) for t, v in rows.items()]


def build(stats: Stats, before: Stats) -> View:
    t = stats.traffic
    by_topic = names.topics(t.by_topic)
    topic_bars = [charts.Bar(name, n) for name, n in by_topic.items()]
    # The top places among those named; "not given" is a bar of its own, after them.
    named = {names.commune(c): v.messages for c, v in t.by_commune.items() if c != UNKNOWN_COMMUNE}
    commune_bars = charts.top(named, TOP_COMMUNES, OTHER_COMMUNES)
    if UNKNOWN_COMMUNE in t.by_commune:
        unknown = t.by_commune[UNKNOWN_COMMUNE].messages
        commune_bars.append(charts.Bar(UNKNOWN_COMMUNE, unknown, muted=True))
    label = compare.label(stats.period)
    days = zip(stats.period.days(), t.per_day, strict=True)
    per_day = [(d, day.messages, day.users) for d, day in days]
    return View(
        stats=stats,
        before=before,
        label=label,
        before_label=compare.label(before.period),
        headlines=compare.headlines(stats, before),
        by_channel=_channels(t.by_channel),
        by_topic=[Named(name, (n, _share(n, t.messages))) for name, n in by_topic.items()],
        by_area=[
            Named(area, (sum(t.by_topic.get(x, 0) for x in topics),))
            for area, topics in load_areas()
        ],
        by_commune=_communes(t.by_commune),
        satisfaction=_ratings(t.satisfaction.by_topic),
        daily_chart=charts.days(
            "chart-daily",
            f"Câu hỏi và người dùng theo ngày, {label}",
            "Cột: số câu hỏi mỗi ngày; đường: số người dùng đã hỏi mỗi ngày. "
            "Số liệu đầy đủ ở bảng theo ngày.",
            per_day,
        ),
        topic_chart=charts.bars(
            "chart-topics",
            f"Câu hỏi theo chủ đề, {label}",
            f"{len(topic_bars)} chủ đề, nhiều câu hỏi nhất ở trên. Số liệu ở bảng bên dưới.",
            topic_bars,
            "câu hỏi",
        ),
        commune_chart=charts.bars(
            "chart-communes",
            f"Câu hỏi theo xã, phường, {label}",
            f"{TOP_COMMUNES} xã, phường có nhiều câu hỏi nhất, các nơi còn lại gộp một cột, "
            f"cột cuối là người chưa cho biết. Số liệu ở bảng bên dưới.",
            commune_bars,
            "câu hỏi",
        ),
    )


async def gather(
    engine: AsyncEngine, period: Period, providers: Sequence[FigureProvider[Any]]
) -> View:
    """The period's figures and the period before's (bot.admin.compare.previous)."""
    now = await compute(engine, period, providers)
    before = await compute(engine, compare.previous(period), providers)
    return build(now, before)
