"""Time as the province lives it: Vietnam time (UTC+7, no daylight saving), and the one fix-up
every stored timestamp needs (SQLite returns naive datetimes for timezone-aware columns)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7))


def aware(value: datetime) -> datetime:
    """A stored timestamp as an aware UTC datetime (naive ones were stored as UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def local(value: datetime) -> datetime:
    return aware(value).astimezone(VIETNAM)


def local_day(now: datetime) -> date:
    return local(now).date()
