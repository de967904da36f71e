"""The tracker kept in memory between turns must never hide what another worker (or an
erasure) did to the conversation in the database."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from bot.engine.cached_store import CachedSQLTrackerStore
from bot.engine.stores import sql_tracker_store


def store(path: Path) -> CachedSQLTrackerStore:
    made = sql_tracker_store(f"sqlite+aiosqlite:///{path}", Domain.empty())
    assert isinstance(made, CachedSQLTrackerStore)
    return made


async def turn(store: CachedSQLTrackerStore, sender: str, text: str) -> list[str]:
    """What a Rasa turn does with the store: get the tracker, add events, save."""
    tracker = await store.get_or_create_tracker(sender)
    tracker.update(UserUttered(text))
    tracker.update(BotUttered(f"re: {text}"))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    return [e.text for e in tracker.events if isinstance(e, UserUttered)]


async def test_a_kept_tracker_is_used_only_while_the_database_agrees(tmp_path: Path) -> None:
    first, second = store(tmp_path / "t.db"), store(tmp_path / "t.db")  # two workers
    assert await turn(first, "u1", "một") == ["một"]
    assert await turn(first, "u1", "hai") == ["một", "hai"]
    assert first.hits == 1  # the second turn did not rebuild the tracker
    # Another worker answers the next message: the first one must see it.
    assert await turn(second, "u1", "ba") == ["một", "hai", "ba"]
    assert await turn(first, "u1", "bốn") == ["một", "hai", "ba", "bốn"]
    assert first.misses == 2
    # Every event stored once, in order, whichever worker wrote it.
    engine = sa.create_engine(f"sqlite:///{tmp_path / 't.db'}")
    with engine.connect() as conn:
        stored = (
            conn.execute(
                sa.text("SELECT type_name FROM events WHERE sender_id = 'u1' ORDER BY id")
            )
            .scalars()
            .all()
        )
        users = conn.execute(
            sa.text("SELECT count(*) FROM events WHERE type_name = 'user'")
        ).scalar_one()
    assert users == 4
    plain = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db"))
    rebuilt = await plain.retrieve("u1")
    assert rebuilt is not None and [e.type_name for e in rebuilt.events] == stored

    # The conversation erased in the database: the kept tracker is not brought back.
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM events WHERE sender_id = 'u1'"))
    engine.dispose()
    assert await turn(first, "u1", "mới") == ["mới"]


async def test_the_memory_kept_is_bounded_by_events(tmp_path: Path) -> None:
    bounded = store(tmp_path / "b.db")
    bounded._max_events = 40  # four events at most per conversation, forty in all
    for i in range(12):
        await turn(bounded, f"u{i}", "xin chào")  # 4 events each (with action_listen first)
    assert bounded.kept_events == 40 and len(bounded._kept) == 10
    assert "u0" not in bounded._kept and "u1" not in bounded._kept  # the oldest went first
    assert "u11" in bounded._kept
    await turn(bounded, "u11", "câu 2")
    assert "u11" not in bounded._kept  # grew past four events: read from the database again
    assert bounded.kept_events == 36
    assert await turn(bounded, "u11", "nữa") == ["xin chào", "câu 2", "nữa"]
