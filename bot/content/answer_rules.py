"""What an answer edited in the browser must be before it is served: within the platforms'
limits, its buttons real answers, its {name}s defined in links.yml, a factual answer sourced and
dated, and the content rules of bot/content/check.py. Problems are told in Vietnamese, for the
form."""

from __future__ import annotations

import string
from collections.abc import Collection, Mapping
from datetime import date

from bot.channels.facebook import adapter as facebook
from bot.channels.zalo import adapter as zalo
from bot.content import counts, places, targets
from bot.content.entries import Entry
from bot.content.facts import parse_day
from bot.core.communes import Commune

# The strictest of the channels: a longer text would be cut into several bubbles, a longer
# button title cut short on Messenger, a sixth button dropped on Zalo.
TEXT_LIMIT = min(facebook.TEXT_LIMIT, zalo.TEXT_LIMIT)
TITLE_LIMIT = min(facebook.QUICK_REPLY_TITLE_LIMIT, zalo.BUTTON_TITLE_LIMIT)
BUTTON_LIMIT = min(facebook.QUICK_REPLY_LIMIT, zalo.BUTTON_LIMIT)
MESSAGE_LIMIT = 6  # bubbles in a row: more reads as a wall of text on a phone
SOURCE_LIMIT = 500
NOTE_LIMIT = 300

# The content rules' names, as the form tells them.
RULE_NAMES = {
    targets.RULE: "mục tiêu đã qua năm nhưng vẫn nói như sắp tới (cần nói kết quả)",
    places.RULE: "tên xã, phường không đúng với đơn vị hành chính hiện nay",
    counts.RULE: "số lượng hoặc danh sách xã, phường không khớp danh sách của tỉnh",
}


def _names(text: str) -> list[str]:
    """The {name}s of `text`; ValueError for a lone brace."""
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


def _filled(text: str, links: Mapping[str, str], where: str, found: list[str]) -> str | None:
    try:
        names = _names(text)
    except ValueError:
        found.append(
            f"{where}: dấu ngoặc nhọn {{ }} chỉ dùng để ghi tên liên kết, ví dụ {{hotline}}."
        )
        return None
    unknown = sorted({n for n in names if n not in links})
    if unknown or any(not n for n in names):
        shown = ", ".join(f"{{{n}}}" for n in unknown) or "{}"
        found.append(f"{where}: chưa có liên kết {shown} trong content/links.yml.")
        return None
    return text.format_map(links)


def problems(
    entry: Entry,
    *,
    known: Collection[str],
    links: Mapping[str, str],
    today: date,
    communes: Collection[Commune],
) -> list[str]:
    """Every problem of `entry`, in the order of the form; `known`: the intents with an answer,
    `today`: a day in Vietnam."""
    found: list[str] = []
    if not entry.title:
        found.append("Cần có tiêu đề nút.")
    elif len(entry.title) > TITLE_LIMIT:
        found.append(
            f"Tiêu đề nút dài {len(entry.title)} ký tự; Messenger chỉ hiện tối đa {TITLE_LIMIT}."
        )
    if not entry.messages:
        found.append("Cần có ít nhất một tin nhắn.")
    if len(entry.messages) > MESSAGE_LIMIT:
        found.append(f"Tối đa {MESSAGE_LIMIT} tin nhắn cho một câu trả lời.")
    source = _filled(entry.source, links, "Nguồn", found) if entry.source else ""
    if len(entry.source) > SOURCE_LIMIT:
        found.append(f"Nguồn dài quá {SOURCE_LIMIT} ký tự.")
    texts: list[str] = []
    for i, message in enumerate(entry.messages, start=1):
        text = _filled(message, links, f"Tin nhắn {i}", found)
        if text is None:
            continue
        texts.append(text)
        # The last bubble carries the source line too (actions/answers.py).
        shown = len(text) + (len(source) + 40 if source and i == len(entry.messages) else 0)
        if shown > TEXT_LIMIT:
            found.append(
                f"Tin nhắn {i} dài khoảng {shown} ký tự (tính cả dòng nguồn nếu là tin cuối); "
                f"Zalo và Messenger nhận tối đa {TEXT_LIMIT} ký tự một tin."
            )
    if len(entry.buttons) > BUTTON_LIMIT:
        found.append(
            f"Tối đa {BUTTON_LIMIT} nút gợi ý (Zalo không hiện nút thứ {BUTTON_LIMIT + 1})."
        )
    unknown = [b for b in entry.buttons if b not in known]
    if unknown:
        found.append(f"Nút gợi ý không có câu trả lời nào: {', '.join(unknown)}.")
    if len(set(entry.buttons)) != len(entry.buttons):
        found.append("Một nút gợi ý bị ghi hai lần.")
    found += _dating(entry, today)
    as_of = parse_day(entry.as_of)
    as_of_year = as_of.year if as_of is not None else today.year
    for text in texts:
        rules = (
            (targets.RULE, targets.problems(text, today.year, as_of_year)),
            (places.RULE, places.problems(text, communes)),
            (counts.RULE, counts.problems(text, communes)),
        )
        for rule, messages in rules:
            found += [f"Kiểm tra nội dung: {RULE_NAMES[rule]} — {m}" for m in messages]
    return found


def _dating(entry: Entry, today: date) -> list[str]:
    """Rule "dated" (bot/content/dating.py) told in Vietnamese."""
    found: list[str] = []
    days = {"as_of": parse_day(entry.as_of), "review_by": parse_day(entry.review_by)}
    labels = {"as_of": "Ngày “tính đến”", "review_by": "Ngày “xem lại trước”"}
    if entry.factual:
        if not entry.source:
            found.append(
                "Câu trả lời có thông tin cần ghi nguồn (văn bản hoặc đường dẫn chính thức)."
            )
        for name, value in (("as_of", entry.as_of), ("review_by", entry.review_by)):
            if not value:
                found.append(f"Câu trả lời có thông tin cần {labels[name].lower()}.")
    for name, value in (("as_of", entry.as_of), ("review_by", entry.review_by)):
        if value and days[name] is None:
            found.append(
                f"{labels[name]} “{value}” chưa đúng dạng NĂM-THÁNG-NGÀY, ví dụ 2026-11-30."
            )
    as_of, review_by = days["as_of"], days["review_by"]
    if as_of is not None and as_of > today:
        found.append(f"Ngày “tính đến” {entry.as_of} là ngày trong tương lai.")
    if as_of is not None and review_by is not None and review_by <= as_of:
        found.append("Ngày “xem lại trước” phải sau ngày “tính đến”.")
    return found
