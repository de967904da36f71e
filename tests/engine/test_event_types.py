"""The cached event-class lookup (bot/engine/event_types.py) must give what Rasa's own does:
a tracker rebuilt from the store has the same events, and unknown names still fail."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)

from bot.engine.event_types import cache_event_type_lookup


def test_events_come_back_the_same_and_unknown_names_still_fail() -> None:
    cache_event_type_lookup()
    cache_event_type_lookup()  # idempotent: not wrapped twice
    events = [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        SlotSet("topic", "vneid"),
        UserUttered("vneid muc 2", {"name": "vneid_level2", "confidence": 0.9}),
        BotUttered("Bạn mang CCCD đến công an xã nhé."),
        ActionExecuted("action_listen"),
    ]
    for _ in range(2):  # the second time from the cache
        again = [Event.from_parameters(e.as_dict()) for e in events]
        assert again == events
        assert [type(e) for e in again] == [type(e) for e in events]
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
    assert Event.resolve_by_type("topic") is None  # Rasa's old TopicSet events are skipped
