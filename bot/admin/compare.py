"""This month against the last: the period to compare with, and each headline figure with its
earlier value and the change, written so that an empty earlier month reads right."""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta

from bot.admin.charts import number
from bot.admin.figures import FIRST_DAY, Period
from bot.admin.stats import Stats


def _month_end(day: date) -> date:
    return day.replace(day=monthrange(day.year, day.month)[1])


def whole_month(period: Period) -> bool:
    return period.start.day == 1 and period.end == _month_end(period.start)


def previous(period: Period) -> Period:
    """A whole month: the month before. From the 1st of a month to a day of it: the same days
    of the month before (month to date against month to date). Any other period: as many days
    just before it."""
    if period.start.day == 1 and period.end.month == period.start.month:
        start = (period.start - timedelta(days=1)).replace(day=1)
        end = _month_end(start)
        if not whole_month(period):
            end = min(end, start.replace(day=min(period.end.day, end.day)))
        return Period(max(start, FIRST_DAY), max(end, FIRST_DAY))
    length = period.end - period.start
    end = period.start - timedelta(days=1)
    return Period(max(end - length, FIRST_DAY), max(end, FIRST_DAY))


def label(period: Period) -> str:
    """ "tháng 10/2026", "ngày 01/10/2026" or "01/10/2026 – 15/10/2026"."""
    if whole_month(period):
        return f"tháng {period.start:%m/%Y}"
    if period.start == period.end:
        return f"ngày {period.start:%d/%m/%Y}"
    return f"{period.start:%d/%m/%Y} – {period.end:%d/%m/%Y}"


@dataclass(frozen=True)
class Headline:
    """One figure in both periods; a rate is a percentage, or None when nothing was counted."""

    id: str
    label: str
    now: float | None
    before: float | None
    rate: bool = False

    @property
    def now_text(self) -> str:
        return _show(self.now, self.rate)

    @property
    def before_text(self) -> str:
        return _show(self.before, self.rate)

    @property
    def change(self) -> float | None:
        if self.now is None or self.before is None:
            return None
        return round(self.now - self.before, 1)

    @property
    def trend(self) -> str:
        """ "up", "down" or "same", for the arrow the page shows."""
        change = self.change
        if not change:
            return "same"
        return "up" if change > 0 else "down"

    @property
    def change_text(self) -> str:
        change = self.change
        if change is None:
            return "—"
        sign = "+" if change > 0 else ("−" if change < 0 else "")
        if self.rate:
            return f"{sign}{_decimal(abs(change))} điểm %"
        amount = f"{sign}{number(abs(change))}"
        if not self.before:
            # No percentage of nothing: a month from zero is new, zero to zero is no change.
            return f"{amount} (tháng trước chưa có)" if change else "0"
        return f"{amount} ({sign}{_decimal(abs(change) / self.before * 100)}%)"


def _decimal(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def _show(value: float | None, rate: bool) -> str:
    if value is None:
        return "—"
    return f"{_decimal(value)}%" if rate else number(value)


def _answered_rate(stats: Stats) -> float | None:
    t = stats.traffic
    return round(100 * (t.messages - t.fallbacks) / t.messages, 1) if t.messages else None


def _satisfaction(stats: Stats) -> float | None:
    rate = stats.traffic.satisfaction.rate
    return None if rate is None else round(100 * rate, 1)


def headlines(now: Stats, before: Stats) -> list[Headline]:
    a, b = now.traffic, before.traffic
    return [
        Headline("messages", "Câu hỏi của người dân", a.messages, b.messages),
        Headline("users", "Người dùng (đồng ý lưu dữ liệu)", a.users, b.users),
        Headline("conversations", "Cuộc trò chuyện", a.conversations, b.conversations),
        Headline(
            "answered", "Tỷ lệ trả lời được", _answered_rate(now), _answered_rate(before), True
        ),
        Headline("satisfied", "Tỷ lệ hài lòng", _satisfaction(now), _satisfaction(before), True),
    ]
