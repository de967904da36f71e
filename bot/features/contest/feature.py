"""The writing contest, as the registry sees it."""

from __future__ import annotations

from bot.features.base import Feature
from bot.features.contest import admin as contest_admin
from bot.features.contest import figures as contest_figures
from bot.features.contest.chat import chat
from bot.features.contest.desk import ContestDesk

FEATURE = Feature(
    "contest",
    build=ContestDesk,
    chat=chat,
    admin=contest_admin.PAGES,
    figures=contest_figures.PROVIDER,
)
