"""Which facts an admin should check again: those past their `review_by` day, and those whose day
comes within the next 30 days (/admin/content)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.content.facts import Fact

SOON = timedelta(days=30)


@dataclass(frozen=True)
class Due:
    fact: Fact
    review_by: date
    overdue: bool  # the day has passed; otherwise it comes within SOON


def due(facts: list[Fact], today: date, soon: timedelta = SOON) -> list[Due]:
    """Factual entries to review by `today + soon`, the most overdue first."""
    found = []
    for fact in facts:
        day = fact.review_day
        if fact.factual and day is not None and day <= today + soon:
            found.append(Due(fact, day, overdue=day < today))
    return sorted(found, key=lambda d: (d.review_by, d.fact.label))


def undated(facts: list[Fact]) -> list[Fact]:
    """Factual entries without a review day written YYYY-MM-DD (the content check fails on
    them too)."""
    return [f for f in facts if f.factual and f.review_day is None]
