"""The monthly report for the provincial steering committee: a Vietnamese workbook (or CSV)
built from the same figures as the dashboard (bot.admin.stats), so the two always agree."""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.admin import names
from bot.admin.exports import csv_bytes, xlsx_bytes
from bot.admin.figures import FigureProvider, Period, RangeError, Row
from bot.admin.stats import (
    UNKNOWN_COMMUNE,
    CommuneFigures,
    Delivery,
    Stats,
    Traffic,
    compute,
)
from bot.core import communes
from bot.settings import PROJECT_ROOT

AREAS_FILE = PROJECT_ROOT / "content" / "report_areas.yml"


_MONTH = re.compile(r"(\d{4})-(\d{2})", re.ASCII)


def month_period(month: str) -> Period:
    """The days of `month` ("2026-10"); RangeError for anything else or out of range."""
    match = _MONTH.fullmatch(month)
    if match is None or not 1 <= int(match[2]) <= 12:
        raise RangeError("tháng phải có dạng YYYY-MM, ví dụ 2026-10")
    year, number = int(match[1]), int(match[2])
    return Period.checked(date(year, number, 1), date(year, number, monthrange(year, number)[1]))


def load_areas(path: Path = AREAS_FILE) -> list[tuple[str, list[str]]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(area["name"], list(area["topics"])) for area in data["areas"]]


def _summary(stats: Stats) -> list[Row]:
    period, t, sat = stats.period, stats.traffic, stats.traffic.satisfaction
    answered = t.messages - t.fallbacks
    return [
        ["Chỉ tiêu", "Giá trị"],
        ["Kỳ báo cáo", f"{period.start.isoformat()} đến {period.end.isoformat()}"],
        ["Số người được tiếp cận (người dùng đã hỏi, có đồng ý lưu dữ liệu)", t.users],
        ["Số cuộc trò chuyện", t.conversations],
        ["Số câu hỏi (lượt hỏi đáp)", t.messages],
        ["Trong đó: câu hỏi ẩn danh (không đồng ý lưu dữ liệu)", t.anonymous_messages],
        ["Số tin trả lời đã gửi", t.replies],
        ["Số câu trả lời được", answered],
        ["Số câu không trả lời được (chuyển hướng)", t.fallbacks],
        ["Tỷ lệ trả lời được (%)", round(100 * answered / t.messages, 1) if t.messages else 0],
        ["Đánh giá hữu ích", sat.helpful],
        ["Đánh giá chưa hữu ích", sat.not_helpful],
        ["Tỷ lệ hài lòng (%)", round(100 * sat.rate, 1) if sat.rate is not None else ""],
    ]


def _delivery_summary(d: Delivery) -> list[Row]:
    return [
        ["Người theo dõi mới (Zalo OA)", d.followers.new],
        ["Bỏ theo dõi (Zalo OA)", d.followers.left],
        ["Tin nhắn gửi thành công", d.sends.get("sent", 0)],
        ["Tin nhắn gửi thất bại", d.sends.get("dead", 0)],
        ["Tin nhắn đã đến máy người nhận", d.receipts.get("delivered", 0)],
        ["Tin nhắn đã được đọc", d.receipts.get("read", 0)],
        ["Thư lỗi (không xử lý được)", d.dead_letters],
    ]


def _by_commune(seen: dict[str, CommuneFigures]) -> list[Row]:
    """Every unit is listed, so the committee sees where the assistant has not reached yet."""
    none = CommuneFigures(0, 0)
    table: list[Row] = [["Xã, phường, đặc khu", "Số người dùng", "Số câu hỏi"]]
    for unit in communes.load():
        figures = seen.get(unit.name, none)
        table.append([unit.label, figures.users, figures.messages])
    unknown = seen.get(UNKNOWN_COMMUNE, none)
    table.append([UNKNOWN_COMMUNE, unknown.users, unknown.messages])
    return table


def _traffic_sheets(t: Traffic) -> dict[str, list[Row]]:
    by_area: list[Row] = [["Nội dung tuyên truyền (mục II.1 Kế hoạch)", "Số câu hỏi"]]
    by_area += [[name, sum(t.by_topic.get(x, 0) for x in topics)] for name, topics in load_areas()]
    by_channel: list[Row] = [["Kênh", "Số câu hỏi", "Số người dùng", "Số tin trả lời"]]
    by_channel += [
        [names.channel(c), v.messages, v.users, v.replies] for c, v in t.by_channel.items()
    ]
    satisfaction: list[Row] = [["Chủ đề", "Hữu ích", "Chưa hữu ích"]]
    satisfaction += [
        [names.topic(x), v.helpful, v.not_helpful] for x, v in t.satisfaction.by_topic.items()
    ]
    by_topic = names.topics(t.by_topic)
    return {
        "Theo nội dung": by_area,
        "Theo chủ đề": [["Chủ đề", "Số câu hỏi"], *([x, n] for x, n in by_topic.items())],
        "Theo kênh": by_channel,
        "Theo xã, phường": _by_commune(t.by_commune),
        "Hài lòng": satisfaction,
    }


def _question_sheets(t: Traffic) -> dict[str, list[Row]]:
    unanswered: list[Row] = [["Câu hỏi chưa trả lời được (đã che số cá nhân)", "Số lần"]]
    unanswered += [[q.text, q.count] for q in t.unanswered]
    by_day: list[Row] = [["Ngày", "Số câu hỏi", "Số người dùng"]]
    by_day += [[d.day, d.messages, d.users] for d in t.per_day]
    return {"Chưa trả lời được": unanswered, "Theo ngày": by_day}


def rows(stats: Stats) -> dict[str, list[Row]]:
    """The report's tables: sheet name -> rows (first row = header). The features' summary lines
    and sheets come between the core ones, in the order of the providers."""
    summary = _summary(stats)
    tables = {"Tổng hợp": summary, **_traffic_sheets(stats.traffic)}
    for part in stats.features:
        summary += part.report.summary
        for title, table in part.report.sheets.items():
            tables.setdefault(title, []).extend(table)
    summary += _delivery_summary(stats.delivery)
    tables.update(_question_sheets(stats.traffic))
    return tables


def to_xlsx(tables: dict[str, list[Row]]) -> bytes:
    return xlsx_bytes(tables, widths=(52, 18, 16, 16))


def to_csv(tables: dict[str, list[Row]]) -> bytes:
    lines: list[Row] = []
    for title, table in tables.items():
        lines += [[title], *table, []]
    return csv_bytes(lines)


async def build(
    engine: AsyncEngine,
    month: str,
    fmt: str,
    providers: Sequence[FigureProvider[Any]],
) -> bytes:
    tables = rows(await compute(engine, month_period(month), providers))
    return to_xlsx(tables) if fmt == "xlsx" else to_csv(tables)
