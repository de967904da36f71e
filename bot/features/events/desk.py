"""Events, training sessions and mobile campaigns, answered in chat from what admins entered
(no retraining): "sắp tới có sự kiện gì", "lịch tập huấn ở xã Cam Lâm" (the commune recognised
among the 65 units, with or without diacritics)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from bot.core import communes
from bot.core.replies import Reply
from bot.core.vntime import local
from bot.db.models import campaign_events as events
from bot.features.base import Desk

KINDS = {"event": "Sự kiện, hội thảo", "training": "Tập huấn, hướng dẫn"}
SHOWN = 5
NEWSLETTER_BUTTON = ({"title": "Nhận bản tin", "payload": "/newsletter_subscribe"},)


def commune_in(text: str) -> communes.Commune | None:
    """The unit named in a question, if exactly one is."""
    return communes.match(text).commune


class EventsDesk(Desk):
    async def upcoming(self, kind: str | None = None, limit: int = 50) -> list[Any]:
        now = self._clock()
        query = select(events).where(events.c.starts_at >= now)
        if kind is not None:
            query = query.where(events.c.kind == kind)
        async with self._engine.connect() as conn:
            return list(
                (await conn.execute(query.order_by(events.c.starts_at).limit(limit))).all()
            )

    async def all(self) -> list[Any]:
        async with self._engine.connect() as conn:
            return list(
                (await conn.execute(select(events).order_by(events.c.starts_at.desc()))).all()
            )

    async def add(self, fields: dict[str, Any]) -> None:
        now = self._clock()

        def work(conn: Connection) -> None:
            conn.execute(events.insert().values(created_at=now, **fields))

        await self._writer.write(work)

    async def remove(self, event_id: int) -> None:
        def work(conn: Connection) -> None:
            conn.execute(delete(events).where(events.c.id == event_id))

        await self._writer.write(work)

    async def answer(self, intent: str, text: str) -> list[Reply] | None:
        if intent not in ("events_upcoming", "events_training"):
            return None
        kind = "training" if intent == "events_training" else None
        rows = await self.upcoming(kind)
        unit = commune_in(text)
        what = "lịch tập huấn, hướng dẫn" if kind else "sự kiện"
        if unit is not None:
            return _in_commune(unit, rows, what)
        if not rows:
            return [
                Reply(
                    f"Hiện chưa có {what} nào được lên lịch. Bạn đăng ký nhận bản tin để được "
                    "báo khi có lịch mới nhé.",
                    NEWSLETTER_BUTTON,
                )
            ]
        head = f"📅 {what.capitalize()} sắp tới:"
        more = " Muốn xem lịch ở xã/phường của bạn, gõ kèm tên xã." if len(rows) > SHOWN else ""
        return [Reply("\n".join([head, *(_line(r) for r in rows[:SHOWN])]) + more)]


def _in_commune(unit: communes.Commune, rows: list[Any], what: str) -> list[Reply]:
    """What is planned in one commune; failing that, what is planned for the whole province."""
    here = [r for r in rows if r.commune == unit.name]
    province = [r for r in rows if r.commune is None]
    if here:
        head = f"📅 {what.capitalize()} sắp tới ở {unit.label}:"
        return [Reply("\n".join([head, *(_line(r) for r in here[:SHOWN])]))]
    head = f"Hiện chưa có {what} nào ở {unit.label}."
    if province:
        lines = [head, "Các hoạt động chung của tỉnh:", *(_line(r) for r in province[:SHOWN])]
        return [Reply("\n".join(lines))]
    return [
        Reply(
            head + " Bạn đăng ký nhận bản tin để được báo khi có lịch mới nhé.",
            NEWSLETTER_BUTTON,
        )
    ]


def _line(row: Any) -> str:
    when = local(row.starts_at)
    where = row.place
    if row.commune:
        unit = communes.by_name(row.commune)
        where += f" ({unit.label if unit else row.commune})"
    line = f"• {when:%H:%M %d/%m/%Y}: {row.title}, tại {where}"
    if row.link:
        line += f" {row.link}"
    return line
