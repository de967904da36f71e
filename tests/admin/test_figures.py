"""The dashboard and the report compose the features' figures in the order of the providers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.admin import report
from bot.admin.figures import DashboardRow, FigureProvider, Period, ReportPart
from bot.admin.stats import Delivery, Followers, Satisfaction, Stats, Traffic


@dataclass(frozen=True)
class Counted:
    things: int


def provider(name: str, sheet: str, header: bool) -> FigureProvider[Counted]:
    async def collect(conn: AsyncConnection, period: Period) -> Counted:
        return Counted(len(name))

    def rows(f: Counted) -> ReportPart:
        lines = [[f"{name}: số lượng", f.things]]
        return ReportPart(
            summary=[[name, f.things]], sheets={sheet: [["Tiêu đề"]] * header + lines}
        )

    return FigureProvider(name, collect, lambda f: [DashboardRow(name, str(f), name)], rows)


async def test_features_sit_between_the_core_figures() -> None:
    period = Period(date(2026, 10, 1), date(2026, 10, 2))
    providers = [provider("quiz", "Cuộc thi", True), provider("guide", "Nhóm", True)]
    providers.append(provider("entries", "Nhóm", False))
    parts = [await p.gather(None, period) for p in providers]  # type: ignore[arg-type]
    traffic = Traffic(0, 0, 0, 0, 0, 0, 0.0, [], [], {}, {}, {}, Satisfaction(0, 0, None, {}))
    stats = Stats(period, traffic, parts, Delivery(Followers(0, 0), {}, {}, 0))

    as_json = stats.as_json()
    keys = list(as_json)
    assert keys.index("satisfaction") < keys.index("quiz") < keys.index("followers")
    assert as_json["entries"] == {"things": 7}

    tables = report.rows(stats)
    titles = list(tables)
    assert titles.index("Hài lòng") < titles.index("Cuộc thi") < titles.index("Nhóm")
    assert titles.index("Nhóm") < titles.index("Chưa trả lời được")
    assert tables["Nhóm"] == [["Tiêu đề"], ["guide: số lượng", 5], ["entries: số lượng", 7]]
    summary = [row[0] for row in tables["Tổng hợp"]]
    assert summary.index("Tỷ lệ hài lòng (%)") < summary.index("quiz")
    assert summary.index("entries") < summary.index("Người theo dõi mới (Zalo OA)")
