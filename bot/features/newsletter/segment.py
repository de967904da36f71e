"""Who a broadcast is for: citizens of chosen communes, citizens who asked about chosen topics in
the last days, both (a citizen must match each part chosen), or everyone.

Communes are the 65 canonical units (bot/core/communes.py), as citizens chose them in chat;
topics are those of their own messages (`messages.topic`), which are kept with the citizen's
reference only when they consented.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists
from sqlalchemy.sql.elements import ColumnElement

from bot.admin import names
from bot.core import communes as units
from bot.db.models import citizens, messages
from bot.engine.topics import topic_names

DEFAULT_DAYS = 30
MAX_DAYS = 365
# Not a subject anyone is told about: greetings, ratings, questions outside the scope.
NOT_OFFERED = frozenset({"smalltalk", "feedback", "out_of_scope"})


@dataclass(frozen=True)
class Segment:
    communes: tuple[str, ...] = ()  # commune names, "Cam Lâm"
    topics: tuple[str, ...] = ()  # topic ids, "scam_awareness"
    days: int = DEFAULT_DAYS

    @property
    def everyone(self) -> bool:
        return not self.communes and not self.topics

    def describe(self) -> str:
        """What an admin reads: "Xã Cam Lâm; đã hỏi về Nhận diện lừa đảo (30 ngày qua)"."""
        if self.everyone:
            return "Tất cả"
        parts = []
        if self.communes:
            parts.append(", ".join(names.commune(c) for c in self.communes))
        if self.topics:
            asked = ", ".join(names.topic(t) for t in self.topics)
            parts.append(f"đã hỏi về {asked} ({self.days} ngày qua)")
        return "; ".join(parts)

    def conditions(self, now: datetime) -> list[ColumnElement[bool]]:
        """SQL conditions on `citizens`: each chosen part must hold."""
        found: list[ColumnElement[bool]] = []
        if self.communes:
            found.append(citizens.c.commune.in_(self.communes))
        if self.topics:
            found.append(
                exists().where(
                    messages.c.user_ref == citizens.c.user_ref,
                    messages.c.direction == "in",
                    messages.c.topic.in_(self.topics),
                    messages.c.created_at >= now - timedelta(days=self.days),
                )
            )
        return found

    def columns(self) -> dict[str, Any]:
        """The segment as `newsletter_issues` stores it."""
        return {
            "communes": json.dumps(list(self.communes), ensure_ascii=False)
            if self.communes
            else None,
            "topics": json.dumps(list(self.topics)) if self.topics else None,
            "topic_days": self.days if self.topics else None,
        }


def from_row(row: Any) -> Segment:
    return Segment(
        communes=tuple(json.loads(row.communes)) if row.communes else (),
        topics=tuple(json.loads(row.topics)) if row.topics else (),
        days=int(row.topic_days or DEFAULT_DAYS),
    )


def topic_choices() -> dict[str, str]:
    """Topic ids an admin may choose, with their Vietnamese names, in the file's order."""
    return {t: n for t, n in topic_names().items() if t not in NOT_OFFERED}


def commune_choices() -> list[tuple[str, str]]:
    """(name, label) of the 65 communes: ("Cam Lâm", "Xã Cam Lâm")."""
    return [(c.name, c.label) for c in units.load()]


def parse(form: Any) -> tuple[Segment, str | None]:
    """The segment an admin form chose (fields `commune` and `topic`, repeated, and `days`),
    or what is wrong with it."""
    chosen_communes = tuple(dict.fromkeys(str(c) for c in form.getall("commune", []) if c))
    chosen_topics = tuple(dict.fromkeys(str(t) for t in form.getall("topic", []) if t))
    raw_days = str(form.get("days", "") or DEFAULT_DAYS).strip()
    days = int(raw_days) if raw_days.isdigit() else 0
    segment = Segment(chosen_communes, chosen_topics, days or DEFAULT_DAYS)
    known = {name for name, _ in commune_choices()}
    if any(c not in known for c in chosen_communes):
        return segment, "xã/phường đã chọn không có trong danh sách 65 xã, phường"
    if any(t not in topic_choices() for t in chosen_topics):
        return segment, "chủ đề đã chọn không có trong danh sách"
    if not 1 <= days <= MAX_DAYS:
        return segment, f"số ngày cần từ 1 đến {MAX_DAYS}"
    return segment, None
