"""Rule "dated": a factual answer or quiz question names its source, the day it was true
(`as_of`) and the day to check it again (`review_by`), both YYYY-MM-DD."""

from __future__ import annotations

from datetime import date

from bot.content.facts import Fact, parse_day

RULE = "dated"


def problems(fact: Fact, today: date) -> list[str]:
    if not fact.factual:
        return []
    fields = {"source": fact.source, "as_of": fact.as_of, "review_by": fact.review_by}
    missing = [name for name, value in fields.items() if not value]
    if missing:
        return [
            f"a factual entry needs source, as_of and review_by; missing {', '.join(missing)}"
            " (mark it `factual: false` if it states no fact)"
        ]
    found: list[str] = []
    as_of, review_by = parse_day(fact.as_of), parse_day(fact.review_by)
    for name, day in (("as_of", as_of), ("review_by", review_by)):
        if day is None:
            found.append(f"{name} {fields[name]!r} is not a day written YYYY-MM-DD")
    if as_of is not None and as_of > today:
        found.append(f"as_of {fact.as_of} is in the future")
    if as_of is not None and review_by is not None and review_by <= as_of:
        found.append(f"review_by {fact.review_by} is not after as_of {fact.as_of}")
    return found
