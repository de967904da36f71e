"""Rasa's tracker store and lock store, configured from the gateway's settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.db.engine import ensure_sqlite_dir, sync_url

if TYPE_CHECKING:
    from rasa.core.tracker_store import TrackerStore


# The tracker's events are committed without waiting for the WAL flush: waiting, PostgreSQL
# flushed its WAL several times per message and its sessions, webhook intake included, waited
# mostly on those flushes (README, "Measured figures"). For Messenger and Zalo nothing is
# risked: a turn's tracker save is followed by the commit that marks its inbox row done with its
# replies, then by the claim of its first reply for sending, which is synchronous and flushes
# the WAL up to itself, the tracker's events included (bot/db/writer.py, lazy writes); if those
# commits never reach the disk, the row is pending again and the turn runs again, as after any
# failure before it. A web chat turn has no such commit: if PostgreSQL itself crashes within a
# fraction of a second (wal_writer_delay) of the reply, the page's conversation goes on from
# the turn before.
TRACKER_SESSION_OPTIONS = "-c synchronous_commit=off"


def sql_tracker_store(database_url: str, domain: Any, **options: Any) -> TrackerStore:
    """Rasa's SQLTrackerStore on the gateway's database (table `events`), keeping each
    conversation's tracker in memory between turns (bot/engine/cached_store.py; `options` go
    to it)."""
    from bot.engine.cached_store import CachedSQLTrackerStore as SQLTrackerStore

    url = sync_url(database_url)
    if url.get_backend_name() == "sqlite":
        ensure_sqlite_dir(database_url)
        store = SQLTrackerStore(domain, dialect="sqlite", db=url.database, **options)
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
        query={"options": TRACKER_SESSION_OPTIONS},
        **options,
    )
