"""Short replies admins prepare for volunteers ("Chào bạn, mình là {tinh_nguyen_vien}..."): a
volunteer picks one on a handoff's page and it goes to the citizen with its placeholders filled.

Few placeholders, all documented on the admin page; a text naming any other is refused when it
is saved, so a volunteer never sends a "{...}" to a citizen.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.services import Clock
from bot.db.models import canned_replies
from bot.db.writer import BatchWriter
from bot.features.handoff.routing import place

TITLE_MAX = 80
TEXT_MAX = 1000
# Placeholder -> what it becomes, as shown to admins.
PLACEHOLDERS: Mapping[str, str] = {
    "ten_xa": "xã, phường của người dân (nếu họ đã cho biết)",
    "tinh_nguyen_vien": "tên đăng nhập của tình nguyện viên gửi tin",
}
NO_COMMUNE = "xã, phường nơi bạn ở"


class CannedError(ValueError):
    pass


def checked(title: str, text: str) -> tuple[str, str]:
    """The title and text as stored, or CannedError with what to fix (in Vietnamese)."""
    title, text = title.strip(), text.strip()
    if not 1 <= len(title) <= TITLE_MAX:
        raise CannedError(f"tên mẫu cần 1-{TITLE_MAX} ký tự")
    if not 1 <= len(text) <= TEXT_MAX:
        raise CannedError(f"nội dung cần 1-{TEXT_MAX} ký tự")
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise CannedError("dấu { } chưa khớp; chỗ điền viết như {ten_xa}") from exc
    allowed = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    for _, name, spec, conversion in fields:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            shown = (
                "{"
                + name
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
            raise CannedError(f"không có chỗ điền {shown}; chỉ dùng {allowed}")
    return title, text


def reply_id(raw: str) -> int | None:
    """A reply's id from a form or a path; None for anything else (never an error)."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


def fill(text: str, commune: str | None, volunteer: str) -> str:
    """A saved text with its placeholders filled for one handoff."""
    return text.format(
        ten_xa=place(commune) if commune else NO_COMMUNE, tinh_nguyen_vien=volunteer
    )


async def all_replies(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as conn:
        return list(
            (await conn.execute(select(canned_replies).order_by(canned_replies.c.title))).all()
        )


async def one(engine: AsyncEngine, reply_id: int) -> Any | None:
    async with engine.connect() as conn:
        return (
            await conn.execute(select(canned_replies).where(canned_replies.c.id == reply_id))
        ).first()


async def save(
    writer: BatchWriter, clock: Clock, reply_id: int | None, title: str, text: str, by: str
) -> bool:
    """Add (no id) or change a reply, checked; False when the reply to change is gone."""
    title, text = checked(title, text)
    values = {"title": title, "text": text, "updated_at": clock(), "updated_by": by}

    def work(conn: Connection) -> bool:
        if reply_id is None:
            conn.execute(canned_replies.insert().values(**values))
            return True
        done = conn.execute(
            update(canned_replies).where(canned_replies.c.id == reply_id).values(**values)
        )
        return bool(done.rowcount)

    return await writer.write(work)


async def remove(writer: BatchWriter, reply_id: int) -> bool:
    def work(conn: Connection) -> bool:
        done = conn.execute(delete(canned_replies).where(canned_replies.c.id == reply_id))
        return bool(done.rowcount)

    return await writer.write(work)
