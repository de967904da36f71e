"""Which volunteers a handoff reaches first: a citizen who told us their commune is first offered
to the volunteers of that commune (and to admins), and to every volunteer of the province once
`HANDOFF_LOCAL_WAIT_MIN` has passed since they asked. A citizen without a commune, or of a
commune no active volunteer serves, reaches everyone at once.

Computed from `created_at` each time (no background job): the queue page hides what a volunteer
may not take yet, and `HandoffDesk.claim` refuses it inside the same transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select

from bot.core import communes
from bot.core.vntime import aware, local
from bot.db.models import admin_users, volunteer_communes

ADMIN = "admin"
EARLY = (
    "Người dân này ở {place}: tình nguyện viên của {place} được nhận trước, đến {until}. "
    "Sau giờ đó bạn nhận được."
)


def served_query() -> Select:
    """The communes at least one active volunteer serves."""
    vc = volunteer_communes.c
    return (
        select(vc.commune)
        .join(admin_users, admin_users.c.username == vc.username)
        .where(admin_users.c.disabled.is_(False), admin_users.c.role == "volunteer")
        .distinct()
    )


def communes_query(username: str) -> Select:
    return select(volunteer_communes.c.commune).where(volunteer_communes.c.username == username)


@dataclass(frozen=True)
class Viewer:
    """Who looks at the queue: their role, the communes they serve, the communes anyone serves."""

    role: str
    mine: frozenset[str]
    served: frozenset[str]


def local_until(row: Any, wait: timedelta, served: Collection[str]) -> datetime | None:
    """Until when a waiting handoff is offered only to its commune's volunteers (None: everyone
    may take it already, or it is not waiting)."""
    if row.status != "waiting" or not row.commune or row.commune not in served:
        return None
    return aware(row.created_at) + wait


def may_take(row: Any, viewer: Viewer, wait: timedelta, now: datetime) -> bool:
    until = local_until(row, wait, viewer.served)
    if until is None or now >= until or viewer.role == ADMIN:
        return True
    return bool(row.commune in viewer.mine)


def place(commune: str) -> str:
    """ "Cam Lâm" -> "xã Cam Lâm", inside a sentence."""
    unit = communes.by_name(commune)
    return f"{unit.kind} {unit.name}" if unit else commune


def too_early(row: Any, until: datetime) -> str:
    return EARLY.format(place=place(row.commune), until=f"{local(until):%H:%M}")


def viewer_sync(conn: Connection, username: str, role: str) -> Viewer:
    mine = frozenset(conn.execute(communes_query(username)).scalars())
    return Viewer(role, mine, frozenset(conn.execute(served_query()).scalars()))
