"""Rule "stale-target": a target year that has passed, stated as a goal still ahead ("mục tiêu đến
2025: 80% hồ sơ trực tuyến" read at the end of 2026), without saying what came of it.

A year Y is a goal when the folded sentence says "đến (hết) (năm) Y", or when "mục tiêu",
"phấn đấu" or "chỉ tiêu" (not "chi tiêu") comes before Y. It is stale when Y is before the
current year (Vietnam time) and before the fact's `as_of` year. Not goals: a document's name
("đến năm 2025, định hướng 2030", "giai đoạn 2021-2025"), a period ("từ 2021 đến 2025"), a
baseline ("so với năm 2020"), a day ("20/12/2025") or a number ("91/2025/QH15").

A sentence that reports the result is fine: it says "đã", "kết quả", "thực tế", "mới / chỉ /
chưa / không đạt", "đạt được", "chưa / không hoàn thành", "vượt mục tiêu", or opens itself or a
clause with "năm Y ... đạt". So is a goal followed by a sentence that opens with the result
("Kết quả: ...", "Tính đến 10/2025 ...").
"""

from __future__ import annotations

import re

from bot.content.text import folded, sentences

RULE = "stale-target"

# A four-digit year standing alone: not part of a day, a range or a document number.
_YEAR = re.compile(r"(?<![\d/.,-])((?:19|20)\d{2})(?![\d/]|-\d)")
# "tính đến năm 2025" dates a figure; it sets no deadline.
_BY_YEAR = re.compile(r"(?<!tinh )\bden (?:het )?(?:nam )?((?:19|20)\d{2})(?![\d/]|-\d)")
# Read with diacritics where folding is ambiguous: "chi tiêu" (spending) is not "chỉ tiêu".
_GOAL_WORD = re.compile(r"(?<!\w)(?:mục tiêu|phấn đấu|chỉ tiêu|muc tieu|phan dau)(?!\w)")
_RANGE = re.compile(r"((?:19|20)\d{2})\s*[-–]\s*((?:19|20)\d{2})")
# After the year: the rest of a document's name.
_TITLE_AFTER = re.compile(r"^\s*,?\s*(?:dinh huong|tam nhin)\b")
# Before the year: a period's start or a baseline, not a deadline.
_NOT_DEADLINE_BEFORE = re.compile(r"\b(?:tu|so voi|ke tu|giai doan)(?: nam)?\s*$")
_PERIOD_BEFORE = re.compile(r"\btu (?:nam )?(?:19|20)\d{2} $")
_RESULT = re.compile(
    r"(?<!\w)(?:đã|kết quả|thực tế|đạt được|(?:mới|chỉ|chưa|không) đạt|"
    r"(?:chưa|không) hoàn thành|vượt (?:mục tiêu|chỉ tiêu))(?!\w)"
)
_YEAR_THEN_REACHED = re.compile(r"(?:^|[,;]\s*)năm \d{4}\b[^.;:]*?(?<!\w)đạt(?!\w)")
_RESULT_LEAD = re.compile(
    r"^(?:kết quả|thực tế|tính đến|đến hết|hết năm|đến (?:ngày |tháng )?\d|năm \d{4})"
)


def _goal_years(sentence: str) -> list[int]:
    """The years the sentence sets as deadlines."""
    text = _RANGE.sub(r"\1-\2", folded(sentence))
    years: list[int] = []
    for match in _BY_YEAR.finditer(text):
        before = text[: match.start()]
        if not _TITLE_AFTER.match(text[match.end() :]) and not _PERIOD_BEFORE.search(before):
            years.append(int(match.group(1)))
    lowered = _RANGE.sub(r"\1-\2", sentence.lower())
    goal = _GOAL_WORD.search(lowered)
    if goal is not None:
        for match in _YEAR.finditer(lowered, goal.end()):
            before = folded(lowered[goal.end() : match.start()])
            after = folded(lowered[match.end() :])
            if not _NOT_DEADLINE_BEFORE.search(before) and not _TITLE_AFTER.match(after):
                years.append(int(match.group(1)))
    return sorted(set(years))


def reports_result(sentence: str) -> bool:
    lowered = sentence.lower()
    return bool(_RESULT.search(lowered) or _YEAR_THEN_REACHED.search(lowered))


def _result_follows(following: str | None) -> bool:
    return following is not None and bool(
        _RESULT_LEAD.match(following.lower()) and reports_result(following)
    )


def problems(text: str, this_year: int, as_of_year: int) -> list[str]:
    """One problem per sentence stating a passed year as a goal still to reach."""
    found = []
    parts = sentences(text)
    for index, sentence in enumerate(parts):
        stale = [y for y in _goal_years(sentence) if y < this_year and y < as_of_year]
        if not stale or reports_result(sentence):
            continue
        if _result_follows(parts[index + 1] if index + 1 < len(parts) else None):
            continue
        years = ", ".join(str(y) for y in stale)
        found.append(
            f"states {years} as a goal still ahead, with no result: {sentence!r} "
            "(say what was reached, or drop the passed target)"
        )
    return found
