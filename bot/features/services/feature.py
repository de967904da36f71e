"""Public services, as the registry sees it (the catalogue is data: content/services.yml)."""

from __future__ import annotations

from bot.features.base import Feature
from bot.features.services.chat import chat

FEATURE = Feature("services", chat=chat)
