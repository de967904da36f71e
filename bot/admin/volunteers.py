"""The communes each volunteer serves, set by an admin on the accounts page: handoffs of
citizens of those communes reach them first (bot/features/handoff/routing.py)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, delete, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core import communes
from bot.db.models import admin_users, volunteer_communes
from bot.db.writer import BatchWriter


class CommuneError(ValueError):
    pass


def checked(names: Iterable[str]) -> list[str]:
    """The communes an admin chose, validated against the 65 units; CommuneError otherwise."""
    chosen = list(dict.fromkeys(n.strip() for n in names if n.strip()))
    unknown = [n for n in chosen if communes.by_name(n) is None]
    if unknown:
        raise CommuneError(f"không có trong danh sách 65 xã, phường: {', '.join(unknown[:3])}")
    return chosen


async def communes_by_volunteer(conn: AsyncConnection) -> dict[str, list[str]]:
    """Username -> the labels of the communes they serve ("Xã Cam Lâm"), in the list's order."""
    order = {c.name: i for i, c in enumerate(communes.load())}
    found: dict[str, list[str]] = {}
    rows = (await conn.execute(select(volunteer_communes))).all()
    for row in sorted(rows, key=lambda r: order.get(r.commune, len(order))):
        unit = communes.by_name(row.commune)
        found.setdefault(row.username, []).append(unit.label if unit else row.commune)
    return found


async def set_communes(writer: BatchWriter, username: str, names: Iterable[str]) -> list[str]:
    """Replace the communes of an active volunteer; CommuneError for an unknown commune or
    account (an admin sees every handoff anyway)."""
    chosen = checked(names)

    def work(conn: Connection) -> bool:
        u = admin_users.c
        account = conn.execute(
            select(u.id).where(
                and_(u.username == username, u.role == "volunteer", u.disabled.is_(False))
            )
        ).first()
        if account is None:
            return False
        conn.execute(delete(volunteer_communes).where(volunteer_communes.c.username == username))
        for name in chosen:
            conn.execute(volunteer_communes.insert().values(username=username, commune=name))
        return True

    if not await writer.write(work):
        raise CommuneError(f"không có tình nguyện viên {username or '(trống)'} đang hoạt động")
    return chosen
