"""Events, training sessions and mobile campaigns, as the registry sees them."""

from __future__ import annotations

from bot.features.base import Feature
from bot.features.events import admin as events_admin
from bot.features.events.chat import chat
from bot.features.events.desk import EventsDesk

FEATURE = Feature("events", build=EventsDesk, chat=chat, admin=events_admin.PAGES)
