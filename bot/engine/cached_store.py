"""Rasa's SQL tracker store with the conversation kept in memory between turns.

Rasa's store rebuilds the tracker from every stored event of the session each turn (JSON, then
replaying each event) and, on save, counts the stored events to know which are new: about half
of a turn (README, "Measured figures"). This store keeps each tracker after its turn, with how
many of its events are stored and the id of the last one. The next turn checks that id with one
indexed query (`max(id)` of the conversation): unchanged, the kept tracker is used as it is;
changed (another worker answered in between, or the conversation was erased or forgotten), the
tracker is rebuilt from the database as Rasa does. The database stays the truth; the memory only
saves work.

A long session is handed to Rasa shortened to its start and its last turns (`compact`): Rasa's
prediction replays every event of the session each turn (the state featuriser behind
RulePolicy), so a turn's cost would grow with the session until replies fell behind.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

CACHE_SIZE = 5000
# A tracker used more recently than this is not evicted to keep another: at the bound, plain
# least-recently-used eviction drops each tracker just before its next turn when conversations
# come back in a cycle longer than the memory holds, so none is found kept. Keeping those in use
# and not keeping the newcomer keeps most of them useful.
MIN_IDLE_S = 60.0
# Bounded by events as well as conversations: long conversations' trackers would otherwise
# grow each agent's memory for as long as it runs.
MAX_KEPT_EVENTS = 50_000
# Events of a session handed to Rasa for a turn, beyond its start. The assistant's rules see one
# user turn (`restrict_rules`), it has no slots or forms and its actions read only the latest
# message, so the last turns decide every prediction; a turn is 5-8 events.
MAX_TURN_EVENTS = 60


def compact(tracker: DialogueStateTracker, limit: int) -> DialogueStateTracker:
    """The tracker with its session's start and the last whole turns within `limit` events;
    the tracker itself if it is short (or has no turn boundary to cut at)."""
    events = list(tracker.events)
    if len(events) <= limit:
        return tracker
    head = _session_start(events)
    if head is None:
        return tracker
    for cut in range(max(len(head) + 1, len(events) - limit), len(events)):
        if _turn_starts(events, cut):
            short = tracker.init_copy()  # same sender and slots, values reset
            for event in events[: len(head)] + events[cut:]:
                short.update(event)
            return short
    return tracker


def _session_start(events: list[Event]) -> list[Event] | None:
    """The events up to the session's first `action_listen` (the session start)."""
    for index, event in enumerate(events[:8]):
        if isinstance(event, ActionExecuted) and event.action_name == ACTION_LISTEN_NAME:
            if any(isinstance(e, SessionStarted) for e in events[:index]):
                return events[: index + 1]
            return None
    return None


def _turn_starts(events: list[Event], index: int) -> bool:
    """A user message right after the assistant began to listen: a clean place to cut."""
    previous = events[index - 1]
    return (
        isinstance(events[index], UserUttered)
        and isinstance(previous, ActionExecuted)
        and previous.action_name == ACTION_LISTEN_NAME
    )


class CachedSQLTrackerStore(SQLTrackerStore):
    def __init__(
        self,
        *args: Any,
        cache_size: int = CACHE_SIZE,
        max_events: int = MAX_KEPT_EVENTS,
        min_idle_s: float = MIN_IDLE_S,
        turn_events: int = MAX_TURN_EVENTS,
        clock: Callable[[], float] = time.monotonic,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # sender -> (tracker, events stored, id of the last stored event, when kept)
        self._kept: OrderedDict[str, tuple[DialogueStateTracker, int, int, float]] = OrderedDict()
        self._max_events = max_events
        self._min_idle_s = min_idle_s
        self._turn_events = turn_events
        self._clock = clock
        self.kept_events = 0
        # Trackers handed out for a turn: how many of their events are stored already.
        self._stored: dict[str, int] = {}
        self._cache_size = cache_size
        self.hits = 0
        self.misses = 0
        # Built once: per turn, building them was most of the store's SQLAlchemy time.
        table = self.SQLEvent.__table__
        self._last_id_query = sa.select(sa.func.max(table.c.id)).where(
            table.c.sender_id == sa.bindparam("sender")
        )
        self._insert = table.insert()

    def _last_id(self, session: Any, sender_id: str) -> int | None:
        return session.execute(self._last_id_query, {"sender": sender_id}).scalar()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        kept = self._kept.pop(sender_id, None)
        self._stored.pop(sender_id, None)
        if kept is not None:
            tracker, stored, last_id, _ = kept
            self.kept_events -= stored
            with self.session_scope() as session:
                if self._last_id(session, sender_id) == last_id:
                    self.hits += 1
                    return self._hand_out(tracker)
        self.misses += 1
        tracker = await super().retrieve(sender_id)
        if tracker is None:
            self._stored[sender_id] = 0
            return None
        return self._hand_out(tracker)

    def _hand_out(self, tracker: DialogueStateTracker) -> DialogueStateTracker:
        """The tracker for a turn, shortened if long; every event it holds is stored, so the
        events after them at `save` are the turn's new ones."""
        tracker = compact(tracker, self._turn_events)
        self._stored[tracker.sender_id] = len(tracker.events)
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        sender_id = tracker.sender_id
        stored = self._stored.get(sender_id)
        if stored is None:  # not handed out by `retrieve` (a tool, a test): Rasa's way
            self._forget(sender_id)
            await super().save(tracker)
            return
        await self.stream_events(tracker)
        events = list(tracker.events)
        new = events[stored:]
        with self.session_scope() as session:
            # Core, not ORM objects: the unit of work and the refresh of each new row's id
            # were most of the cost of a save.
            if new:
                session.execute(self._insert, [self._row(sender_id, e) for e in new])
            last_id = self._last_id(session, sender_id)
            session.commit()
        # A second save in the same turn (Rasa saves when a session starts) goes on from here.
        self._stored[sender_id] = len(events)
        if len(self._stored) > 2 * self._cache_size:
            self._stored.clear()  # forgotten entries only cost the Rasa way next time
        if last_id is None or any(isinstance(e, SessionStarted) for e in new):
            # A new session began: Rasa would read only its events next time; so do we.
            self._forget(sender_id)
            return
        self._forget(sender_id)
        if len(events) > self._max_events // 10:
            return  # a very long conversation is read from the database, as Rasa does
        now = self._clock()
        self._kept[sender_id] = (tracker, len(events), int(last_id), now)
        self.kept_events += len(events)
        while len(self._kept) > self._cache_size or self.kept_events > self._max_events:
            oldest, (_, _, _, kept_at) = next(iter(self._kept.items()))
            if oldest == sender_id or now - kept_at < self._min_idle_s:
                # Everything kept is in use: this one is not kept (it was within the bound
                # before this turn added it).
                self._forget(sender_id)
                break
            self._forget(oldest)

    def _forget(self, sender_id: str) -> None:
        kept = self._kept.pop(sender_id, None)
        if kept is not None:
            self.kept_events -= kept[1]

    @staticmethod
    def _row(sender_id: str, event: Any) -> dict[str, Any]:
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }
