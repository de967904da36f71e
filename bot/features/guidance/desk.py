"""Volunteers' log of in-person help: date, commune, how many residents and what with; the
monthly report counts it."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from bot.core import communes
from bot.db.models import guidance_sessions
from bot.features.base import Desk

TOPICS = {
    "vneid": "VNeID",
    "public_services": "Dịch vụ công trực tuyến",
    "security": "An toàn thông tin, chống lừa đảo",
    "digital_skills": "Kỹ năng số, thanh toán số",
    "other": "Khác",
}


class GuidanceError(ValueError):
    pass


def validate(
    held_on: str, commune: str, residents: str, topics: list[str], today: date
) -> dict[str, Any]:
    try:
        day = date.fromisoformat(held_on)
    except ValueError as exc:
        raise GuidanceError("ngày không hợp lệ") from exc
    if day > today:
        raise GuidanceError("ngày hỗ trợ không được ở tương lai")
    if communes.by_name(commune) is None:
        raise GuidanceError("chọn xã/phường trong danh sách")
    try:
        count = int(residents)
    except ValueError as exc:
        raise GuidanceError("số người dân phải là số") from exc
    if not 1 <= count <= 5000:
        raise GuidanceError("số người dân từ 1 đến 5000")
    chosen = [t for t in topics if t in TOPICS]
    if not chosen:
        raise GuidanceError("chọn ít nhất một nội dung hỗ trợ")
    return {"held_on": day, "commune": commune, "residents": count, "topics": ",".join(chosen)}


class GuidanceLog(Desk):
    async def add(self, volunteer: str, fields: dict[str, Any], notes: str) -> None:
        now = self._clock()

        def work(conn: Connection) -> None:
            conn.execute(
                guidance_sessions.insert().values(
                    created_at=now, volunteer=volunteer, notes=notes[:500] or None, **fields
                )
            )

        await self._writer.write(work)

    async def recent(self, volunteer: str | None, limit: int = 50) -> list[Any]:
        query = select(guidance_sessions).order_by(
            guidance_sessions.c.held_on.desc(), guidance_sessions.c.id.desc()
        )
        if volunteer is not None:
            query = query.where(guidance_sessions.c.volunteer == volunteer)
        async with self._engine.connect() as conn:
            return list((await conn.execute(query.limit(limit))).all())
