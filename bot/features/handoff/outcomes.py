"""What a handoff achieved, from a fixed list the volunteer ticks on its page (counted per
commune and per volunteer in the dashboard and the monthly report), and the citizen's rating
asked with buttons once it closes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.replies import Reply
from bot.db.models import handoff_outcomes, handoffs

OUTCOMES: Mapping[str, str] = {
    "vneid_level2": "VNeID mức 2 đã kích hoạt",
    "dossier": "Đã nộp hồ sơ dịch vụ công",
    "app_installed": "Đã cài ứng dụng",
    "scam_guidance": "Đã hướng dẫn nhận diện lừa đảo",
    "other": "Khác",
}

# The citizen's rating: payload "/danh_gia:<handoff id>:<score>".
RATE_PAYLOAD = "/danh_gia:"
_RATE = re.compile(r"/danh_gia:(\d{1,12}):([123])", re.ASCII)
SCORES: Mapping[int, str] = {3: "Hài lòng", 2: "Bình thường", 1: "Chưa hài lòng"}
RATE_QUESTION = "Bạn thấy lần hỗ trợ vừa rồi của tình nguyện viên thế nào?"
THANKS = {
    3: "Cảm ơn bạn đã đánh giá! Rất vui vì đã giúp được bạn.",
    2: "Cảm ơn bạn đã đánh giá! Đoàn Thanh niên sẽ cố gắng hỗ trợ tốt hơn.",
    1: "Cảm ơn bạn đã cho biết. Đoàn Thanh niên sẽ xem lại để hỗ trợ bạn tốt hơn.",
}
RATED_BEFORE = "Bạn đã đánh giá lần hỗ trợ này rồi. Cảm ơn bạn nhé!"
NOT_RATABLE = "Lần hỗ trợ này không còn nhận đánh giá. Cảm ơn bạn nhé!"


def rate_question(handoff_id: int) -> Reply:
    buttons = tuple(
        {"title": title, "payload": f"{RATE_PAYLOAD}{handoff_id}:{score}"}
        for score, title in SCORES.items()
    )
    return Reply(RATE_QUESTION, buttons)


def parse_rating(text: str) -> tuple[int, int] | None:
    """(handoff id, score) of a rating tap; None for a malformed one."""
    match = _RATE.fullmatch(text.strip())
    return (int(match[1]), int(match[2])) if match else None


def rate(conn: Connection, handoff_id: int, user_ref: str, score: int, now: datetime) -> str:
    """Store a citizen's rating of their own closed, volunteer-handled handoff, once:
    "rated", "again" (rated before) or "no" (not theirs, not closed, nobody helped)."""
    h = handoffs.c
    row = conn.execute(
        select(h.rating).where(
            and_(
                h.id == handoff_id,
                h.user_ref == user_ref,
                h.status == "closed",
                h.claimed_by.is_not(None),
            )
        )
    ).first()
    if row is None:
        return "no"
    done = conn.execute(
        update(handoffs)
        .where(h.id == handoff_id, h.rating.is_(None))
        .values(rating=score, rated_at=now)
    )
    return "rated" if done.rowcount else "again"


def checked(values: Iterable[str]) -> list[str]:
    """The outcomes ticked, known ones only, in the list's order."""
    chosen = set(values)
    unknown = chosen - set(OUTCOMES)
    if unknown:
        raise ValueError("kết quả không có trong danh sách")
    return [key for key in OUTCOMES if key in chosen]


def replace(conn: Connection, handoff_id: int, chosen: list[str], by: str, now: datetime) -> None:
    conn.execute(delete(handoff_outcomes).where(handoff_outcomes.c.handoff_id == handoff_id))
    for key in chosen:
        conn.execute(
            handoff_outcomes.insert().values(
                handoff_id=handoff_id, outcome=key, recorded_by=by, recorded_at=now
            )
        )


async def of(conn: AsyncConnection, handoff_id: int) -> list[Any]:
    return list(
        (
            await conn.execute(
                select(handoff_outcomes.c.outcome).where(
                    handoff_outcomes.c.handoff_id == handoff_id
                )
            )
        ).scalars()
    )
