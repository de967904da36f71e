"""What a feature gives the dashboard, `/admin/api/stats` and the monthly report: a
`FigureProvider` that collects its typed figures for a period and says how they show.

bot/admin/stats.py collects the core figures and every provider's on one connection;
bot/admin/pages.py shows the providers' dashboard rows between the core rows, and
bot/admin/report.py puts their summary rows and sheets between the core ones, in the order of
the providers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.vntime import VIETNAM

MAX_DAYS = 366
# Days the figures can cover: far enough either way for any real report, near enough that the
# period's bounds stay within what dates and time zones can represent.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)

F = TypeVar("F")
# A row of the report: a label, then its values.
Row = list[Any]


class RangeError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    """Days as the province lives them (Vietnam time), both ends included."""

    start: date
    end: date

    @classmethod
    def parse(cls, start: str | None, end: str | None, today: date) -> Period:
        try:
            first = date.fromisoformat(start) if start else today.replace(day=1)
            last = date.fromisoformat(end) if end else today
        except ValueError as exc:
            raise RangeError("ngày phải có dạng YYYY-MM-DD") from exc
        return cls.checked(first, last)

    @classmethod
    def checked(cls, first: date, last: date) -> Period:
        """The period from `first` to `last`, or RangeError when it cannot be reported."""
        if not FIRST_DAY <= first <= LAST_DAY or not FIRST_DAY <= last <= LAST_DAY:
            raise RangeError(f"chỉ xem được từ năm {FIRST_DAY.year} đến năm {LAST_DAY.year}")
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


@dataclass(frozen=True)
class DashboardRow:
    """One line of the dashboard's overview table; `id` is the value cell's HTML id."""

    label: str
    value: str
    id: str


@dataclass(frozen=True)
class ReportPart:
    """A provider's part of the monthly report: lines of the summary sheet, and sheets by title
    (rows for a sheet another provider opened before are added at its end)."""

    summary: list[Row] = field(default_factory=list)
    sheets: dict[str, list[Row]] = field(default_factory=dict)


def _as_dict(figures: Any) -> Any:
    return asdict(figures)


@dataclass(frozen=True)
class Collected:
    """A provider's figures for one period, with how they show."""

    name: str
    figures: Any
    json: Any
    dashboard: list[DashboardRow]
    report: ReportPart


@dataclass(frozen=True)
class FigureProvider(Generic[F]):
    # The figures' key in /admin/api/stats.
    name: str
    collect: Callable[[AsyncConnection, Period], Awaitable[F]]
    dashboard: Callable[[F], list[DashboardRow]]
    report: Callable[[F], ReportPart]
    # The JSON value under `name`; the figures dataclass as a dict unless said otherwise.
    as_json: Callable[[F], Any] = _as_dict

    async def gather(self, conn: AsyncConnection, period: Period) -> Collected:
        figures = await self.collect(conn, period)
        return Collected(
            self.name,
            figures,
            self.as_json(figures),
            self.dashboard(figures),
            self.report(figures),
        )


def blank(value: object) -> object:
    """A missing figure as an empty report cell."""
    return "" if value is None else value


def by_count(counts: dict[str, int]) -> dict[str, int]:
    """Largest first, then by name."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
