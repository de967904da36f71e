"""The monthly report for the provincial steering committee: a Vietnamese workbook (or CSV)
built from the same figures as the dashboard (bot.admin.stats), so the two always agree."""

from __future__ import annotations

import csv
import io
from calendar import monthrange
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import communes
from bot.admin.stats import UNKNOWN_COMMUNE, Period, RangeError, compute
from bot.guidance import TOPICS as TOPIC_NAMES
from bot.settings import PROJECT_ROOT

AREAS_FILE = PROJECT_ROOT / "content" / "report_areas.yml"
CHANNEL_NAMES = {"zalo": "Zalo OA", "facebook": "Facebook Messenger", "web": "Trang web"}


def month_period(month: str) -> Period:
    try:
        year, number = (int(part) for part in month.split("-"))
        first = date(year, number, 1)
    except ValueError as exc:
        raise RangeError("tháng phải có dạng YYYY-MM") from exc
    return Period(first, date(year, number, monthrange(year, number)[1]))


def load_areas(path: Path = AREAS_FILE) -> list[tuple[str, list[str]]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(area["name"], list(area["topics"])) for area in data["areas"]]


def rows(stats: dict[str, Any]) -> dict[str, list[list[Any]]]:
    """The report's tables: sheet name -> rows (first row = header)."""
    sat = stats["satisfaction"]
    answered = stats["messages"] - stats["fallbacks"]
    summary = [
        ["Chỉ tiêu", "Giá trị"],
        ["Kỳ báo cáo", f"{stats['from']} đến {stats['to']}"],
        ["Số người được tiếp cận (người dùng đã hỏi, có đồng ý lưu dữ liệu)", stats["users"]],
        ["Số cuộc trò chuyện", stats["conversations"]],
        ["Số câu hỏi (lượt hỏi đáp)", stats["messages"]],
        ["Trong đó: câu hỏi ẩn danh (không đồng ý lưu dữ liệu)", stats["anonymous_messages"]],
        ["Số tin trả lời đã gửi", stats["replies"]],
        ["Số câu trả lời được", answered],
        ["Số câu không trả lời được (chuyển hướng)", stats["fallbacks"]],
        [
            "Tỷ lệ trả lời được (%)",
            round(100 * answered / stats["messages"], 1) if stats["messages"] else 0,
        ],
        ["Đánh giá hữu ích", sat["helpful"]],
        ["Đánh giá chưa hữu ích", sat["not_helpful"]],
        [
            "Tỷ lệ hài lòng (%)",
            round(100 * sat["rate"], 1) if sat["rate"] is not None else "",
        ],
        ["Cuộc trò chuyện chuyển tình nguyện viên", stats["handoffs"]["total"]],
        ["  trong đó: được tình nguyện viên trả lời", stats["handoffs"]["answered"]],
        ["  trong đó: quá hạn chưa ai nhận (đã xin lỗi)", stats["handoffs"]["expired"]],
        [
            "Thời gian chờ tình nguyện viên trả lời (trung vị, phút)",
            stats["handoffs"]["median_response_min"]
            if stats["handoffs"]["median_response_min"] is not None
            else "",
        ],
        ["Tin nhắn nghi lừa đảo người dân gửi kiểm tra", sum(stats["scam_checks"].values())],
        ["  trong đó: rất có thể lừa đảo", stats["scam_checks"]["likely_scam"]],
        ["  trong đó: đáng ngờ", stats["scam_checks"]["suspicious"]],
        ["Người theo dõi mới (Zalo OA)", stats["followers"]["new"]],
        ["Bỏ theo dõi (Zalo OA)", stats["followers"]["left"]],
        ["Tin nhắn gửi thành công", stats["sends"].get("sent", 0)],
        ["Tin nhắn gửi thất bại", stats["sends"].get("dead", 0)],
        ["Tin nhắn đã đến máy người nhận", stats["receipts"].get("delivered", 0)],
        ["Tin nhắn đã được đọc", stats["receipts"].get("read", 0)],
        ["Thư lỗi (không xử lý được)", stats["dead_letters"]],
    ]
    by_area = [["Nội dung tuyên truyền (mục II.1 Kế hoạch)", "Số câu hỏi"]]
    for name, topics in load_areas():
        by_area.append([name, sum(stats["by_topic"].get(t, 0) for t in topics)])
    by_topic = [["Chủ đề", "Số câu hỏi"]] + [[t, n] for t, n in stats["by_topic"].items()]
    by_channel = [["Kênh", "Số câu hỏi", "Số người dùng", "Số tin trả lời"]] + [
        [CHANNEL_NAMES.get(c, c), v["messages"], v["users"], v["replies"]]
        for c, v in stats["by_channel"].items()
    ]
    # Every unit is listed, so the committee sees where the assistant has not reached yet.
    seen = stats["by_commune"]
    by_commune = [["Xã, phường, đặc khu", "Số người dùng", "Số câu hỏi"]]
    for unit in communes.load():
        figures = seen.get(unit.name, {"users": 0, "messages": 0})
        by_commune.append([unit.label, figures["users"], figures["messages"]])
    unknown = seen.get(UNKNOWN_COMMUNE, {"users": 0, "messages": 0})
    by_commune.append([UNKNOWN_COMMUNE, unknown["users"], unknown["messages"]])
    satisfaction = [["Chủ đề", "Hữu ích", "Chưa hữu ích"]] + [
        [t, v["helpful"], v["not_helpful"]] for t, v in sat["by_topic"].items()
    ]
    q = stats["quiz"]
    quiz = [
        ["Cuộc thi trực tuyến tìm hiểu chuyển đổi số", "Giá trị"],
        ["Lượt thi bắt đầu", q["attempts"]],
        ["Lượt thi hoàn thành", q["finished"]],
        ["  trong đó: lượt tính điểm cuộc thi", q["counted"]],
        ["  trong đó: lượt luyện tập", q["practice"]],
        ["Số người dự thi (lượt tính điểm)", q["players"]],
        [
            "Điểm trung bình (thang 10)",
            q["average_score"] if q["average_score"] is not None else "",
        ],
    ] + [[f"Người dự thi ở {name}", n] for name, n in q["by_commune"].items()]
    n = stats["newsletter"]
    news = [
        ["Bản tin chuyển đổi số", "Giá trị"],
        ["Người đang đăng ký nhận bản tin", n["subscribers"]],
        ["Số bản tin phát hành trong kỳ", n["issues"]],
        ["Lượt gửi (trong thời gian nền tảng cho phép)", n["queued"]],
        ["Lượt bỏ qua (ngoài thời gian cho phép)", n["skipped"]],
        ["Gửi thành công", n["sent"]],
        ["Gửi lỗi", n["failed"]],
    ]
    g = stats["guidance"]
    guidance = [
        ["Tình nguyện viên hỗ trợ người dân trực tiếp", "Giá trị"],
        ["Số buổi hỗ trợ", g["sessions"]],
        ["Số lượt người dân được hỗ trợ", g["residents"]],
    ]
    guidance += [[f"  nội dung: {TOPIC_NAMES.get(t, t)}", n] for t, n in g["by_topic"].items()]
    guidance += [[f"  tại {name}", n] for name, n in g["by_commune"].items()]
    guidance += [["Bài dự thi viết về chuyển đổi số nhận được", stats["contest_submissions"]]]
    unanswered = [["Câu hỏi chưa trả lời được (đã che số cá nhân)", "Số lần"]] + [
        [q["text"], q["count"]] for q in stats["unanswered"]
    ]
    by_day = [["Ngày", "Số câu hỏi", "Số người dùng"]] + [
        [d["day"], d["messages"], d["users"]] for d in stats["per_day"]
    ]
    return {
        "Tổng hợp": summary,
        "Theo nội dung": by_area,
        "Theo chủ đề": by_topic,
        "Theo kênh": by_channel,
        "Theo xã, phường": by_commune,
        "Hài lòng": satisfaction,
        "Cuộc thi": quiz,
        "Bản tin": news,
        "Tình nguyện viên": guidance,
        "Chưa trả lời được": unanswered,
        "Theo ngày": by_day,
    }


def to_xlsx(tables: dict[str, list[list[Any]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, table in tables.items():
        sheet = workbook.create_sheet(title)
        for row in table:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 52
        sheet.column_dimensions["B"].width = 18
        sheet.column_dimensions["C"].width = 16
        sheet.column_dimensions["D"].width = 16
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_csv(tables: dict[str, list[list[Any]]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for title, table in tables.items():
        writer.writerow([title])
        writer.writerows(table)
        writer.writerow([])
    # A BOM so that Excel opens the Vietnamese text as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


async def build(engine: AsyncEngine, month: str, fmt: str) -> bytes:
    tables = rows(await compute(engine, month_period(month)))
    return to_xlsx(tables) if fmt == "xlsx" else to_csv(tables)
