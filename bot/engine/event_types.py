"""Rasa's lookup of an event class by its type name, cached.

Rasa rebuilds a tracker from the tracker store by turning each stored event back into an object
(`Event.from_parameters`), and finds each event's class with `Event.resolve_by_type`, which
walks every subclass of `Event` (recursively, with an `inspect.isabstract` check each) for every
event: nearly half of the time spent rebuilding trackers (README, "Measured figures"). A type
name's class does not change while the process runs, so it is looked up once.
"""

from __future__ import annotations

from typing import Any

_cache: dict[str, Any] = {}


def cache_event_type_lookup() -> None:
    from rasa.shared.core.events import Event

    if getattr(Event, "_khdx_cached_lookup", False):
        return
    original = Event.resolve_by_type

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        cls = _cache.get(type_name)
        if cls is None:
            cls = original(type_name, default)  # raises for an unknown name, as Rasa does
            # Only a real match is kept: not the caller's default, nor the old "topic" None.
            if cls is not None and getattr(cls, "type_name", None) == type_name:
                _cache[type_name] = cls
        return cls

    Event.resolve_by_type = staticmethod(resolve_by_type)
    Event._khdx_cached_lookup = True
