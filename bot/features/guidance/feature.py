"""The volunteers' log of in-person help, as the registry sees it (no chat part)."""

from __future__ import annotations

from bot.features.base import Feature
from bot.features.guidance import admin as guidance_admin
from bot.features.guidance import figures as guidance_figures
from bot.features.guidance.desk import GuidanceLog

FEATURE = Feature(
    "guidance", build=GuidanceLog, admin=guidance_admin.PAGES, figures=guidance_figures.PROVIDER
)
