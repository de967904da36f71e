"""This month against the last: which period is compared, and changes that read right when the
earlier period had nothing."""

from __future__ import annotations

from datetime import date

from bot.admin.compare import Headline, label, previous
from bot.admin.figures import Period


def test_the_period_before() -> None:
    january = Period(date(2027, 1, 1), date(2027, 1, 31))
    assert previous(january) == Period(date(2026, 12, 1), date(2026, 12, 31))
    # Month to date against the same days of the month before, cut at its last day.
    to_date = Period(date(2026, 3, 1), date(2026, 3, 30))
    assert previous(to_date) == Period(date(2026, 2, 1), date(2026, 2, 28))
    assert previous(Period(date(2026, 10, 1), date(2026, 10, 15))) == Period(
        date(2026, 9, 1), date(2026, 9, 15)
    )
    # Any other period: as many days just before.
    week = Period(date(2026, 10, 8), date(2026, 10, 14))
    assert previous(week) == Period(date(2026, 10, 1), date(2026, 10, 7))
    assert label(january) == "tháng 01/2027"
    assert label(week) == "08/10/2026 – 14/10/2026"
    assert label(Period(date(2026, 12, 1), date(2026, 12, 1))) == "ngày 01/12/2026"


def test_changes_are_written_without_dividing_by_zero() -> None:
    assert Headline("m", "Câu hỏi", 1500, 1000).change_text == "+500 (+50,0%)"
    assert Headline("m", "Câu hỏi", 750, 1000).change_text == "−250 (−25,0%)"
    assert Headline("m", "Câu hỏi", 1500, 1000).now_text == "1.500"
    assert Headline("m", "Câu hỏi", 5, 0).change_text == "+5 (tháng trước chưa có)"
    assert Headline("m", "Câu hỏi", 0, 0).change_text == "0"
    assert Headline("m", "Câu hỏi", 0, 4).change_text == "−4 (−100,0%)"
    assert Headline("r", "Tỷ lệ", 80.0, 75.5, rate=True).change_text == "+4,5 điểm %"
    assert Headline("r", "Tỷ lệ", 80.0, None, rate=True).change_text == "—"
    assert Headline("r", "Tỷ lệ", None, None, rate=True).now_text == "—"
    assert Headline("m", "Câu hỏi", 5, 3).trend == "up"
    assert Headline("m", "Câu hỏi", 3, 3).trend == "same"
