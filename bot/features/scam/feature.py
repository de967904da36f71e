"""The scam check, as the registry sees it (no state of its own)."""

from __future__ import annotations

from bot.features.base import Feature
from bot.features.scam import figures as scam_figures
from bot.features.scam.chat import chat

FEATURE = Feature("scam", chat=chat, figures=scam_figures.PROVIDER)
