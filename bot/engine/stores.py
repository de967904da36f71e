"""Rasa's tracker store and lock store, configured from the gateway's settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.db.engine import ensure_sqlite_dir, sync_url

if TYPE_CHECKING:
    from rasa.core.tracker_store import TrackerStore


def sql_tracker_store(database_url: str, domain: Any) -> TrackerStore:
    """Rasa's SQLTrackerStore on the gateway's database (table `events`), keeping each
    conversation's tracker in memory between turns (bot/engine/cached_store.py)."""
    from bot.engine.cached_store import CachedSQLTrackerStore as SQLTrackerStore

    url = sync_url(database_url)
    if url.get_backend_name() == "sqlite":
        ensure_sqlite_dir(database_url)
        store = SQLTrackerStore(domain, dialect="sqlite", db=url.database)
        from sqlalchemy import event

        from bot.db.engine import apply_sqlite_pragmas

        event.listen(store.engine, "connect", apply_sqlite_pragmas)
        return store
    return SQLTrackerStore(
        domain,
        dialect="postgresql",
        host=url.host,
        port=url.port,
        db=url.database,
        username=url.username,
        password=url.password,
    )
