"""The tracker kept in memory between turns must never hide what another worker (or an
erasure) did to the conversation in the database."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered

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


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_the_memory_kept_is_bounded_by_events(tmp_path: Path) -> None:
    bounded = store(tmp_path / "b.db")
    bounded._max_events = 40  # four events at most per conversation, forty in all
    bounded._clock = clock = Clock()
    for i in range(12):
        clock.now += 120  # conversations long idle: the least recently used goes first
        await turn(bounded, f"u{i}", "xin chào")  # 4 events each (with action_listen first)
    assert bounded.kept_events == 40 and len(bounded._kept) == 10
    assert "u0" not in bounded._kept and "u1" not in bounded._kept  # the oldest went first
    assert "u11" in bounded._kept
    await turn(bounded, "u11", "câu 2")
    assert "u11" not in bounded._kept  # grew past four events: read from the database again
    assert bounded.kept_events == 36
    assert await turn(bounded, "u11", "nữa") == ["xin chào", "câu 2", "nữa"]


async def test_conversations_in_use_stay_kept_when_more_come_than_fit(tmp_path: Path) -> None:
    """Twenty users writing in turn, every 50 s, memory for about ten: those kept stay and are
    found kept at their next turns (least-recently-used eviction drops each just before)."""
    cycling = store(tmp_path / "c.db")
    cycling._max_events = 10 * 12  # ten conversations of three turns
    cycling._clock = clock = Clock()
    users = [f"u{i}" for i in range(20)]
    for round_ in range(3):
        for user in users:
            clock.now += 2.5  # each user again 50 s later
            await turn(cycling, user, f"câu {round_}")
    assert cycling.kept_events <= 120
    # 37 of 60 turns found their tracker kept; least-recently-used eviction found 14 (only in
    # the second round, while all twenty still fitted).
    assert cycling.hits >= 30
    # Once a kept conversation has been idle for a while, a newcomer takes its place.
    clock.now += 600
    await turn(cycling, "new", "xin chào")
    assert "new" in cycling._kept and "u0" not in cycling._kept


async def session_turn(store: CachedSQLTrackerStore, sender: str, text: str) -> int:
    """A turn as Rasa runs it in a session: the session starts on the first message. Returns
    how many events Rasa was given."""
    tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
    given = len(tracker.events)
    if not tracker.events:
        tracker.update(ActionExecuted("action_session_start"))
        tracker.update(SessionStarted())
        tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered(text))
    tracker.update(ActionExecuted("action_answer"))
    tracker.update(BotUttered(f"re: {text}"))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    return given


async def test_a_long_session_reaches_rasa_shortened_and_is_stored_whole(tmp_path: Path) -> None:
    """Rasa's turn cost grows with the events it is given: a long session is handed over as its
    start and its last whole turns, while the database keeps every event once, in order."""
    path = tmp_path / "long.db"
    first = sql_tracker_store(f"sqlite:///{path}", Domain.empty(), turn_events=20)
    second = sql_tracker_store(f"sqlite:///{path}", Domain.empty(), turn_events=20)
    assert isinstance(first, CachedSQLTrackerStore) and isinstance(second, CachedSQLTrackerStore)
    given = []
    for i in range(30):  # alternately kept in memory and rebuilt by the other worker
        given.append(await session_turn(first if i % 6 else second, "u1", f"câu {i}"))
    assert max(given) <= 3 + 20 and given[-1] >= 3 + 16  # the start and four or five turns
    tracker = await first.retrieve("u1")
    assert tracker is not None
    events = list(tracker.events)
    kinds = [e.type_name for e in events]
    # The session's start (read back from the database it begins at `session_started`), then
    # whole turns: the cut is where a message begins.
    assert kinds[: kinds.index("user")] in (
        ["action", "session_started", "action"],
        ["session_started", "action"],
    )
    texts = [e.text for e in events if isinstance(e, UserUttered)]
    assert texts == [f"câu {i}" for i in range(30 - len(texts), 30)]
    plain = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    whole = await plain.retrieve("u1")
    assert whole is not None
    assert [e.text for e in whole.events if isinstance(e, UserUttered)] == [
        f"câu {i}" for i in range(30)
    ]
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM events")).scalar_one()
    engine.dispose()
    assert count == 3 + 30 * 4  # each event once
