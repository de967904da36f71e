"""Old addresses, as the registry sees it (no state of its own)."""

from __future__ import annotations

from bot.features.base import Feature
from bot.features.old_address.chat import chat

FEATURE = Feature("old_address", chat=chat)
