"""The handoff to a youth-union volunteer, as the registry sees it."""

from __future__ import annotations

from datetime import timedelta

from actions.content import content
from bot.core.services import Services
from bot.features.base import Feature
from bot.features.handoff import admin as handoff_admin
from bot.features.handoff import desk as handoff
from bot.features.handoff import figures as handoff_figures
from bot.features.handoff.chat import chat
from bot.features.handoff.desk import HandoffDesk


async def expire_unclaimed(desk: HandoffDesk, services: Services) -> None:
    """Apologise to citizens whose handoff nobody claimed in time."""
    settings = services.settings
    hotline = f" Bạn có thể gọi {settings.handoff_hotline}." if settings.handoff_hotline else ""
    apology = handoff.APOLOGY.format(
        hotline=hotline, pakn=content().links.get("province_pakn", "")
    )
    await desk.expire_unclaimed(timedelta(minutes=settings.handoff_timeout_min), apology)


FEATURE = Feature(
    "handoff",
    build=HandoffDesk,
    chat=chat,
    sweep=expire_unclaimed,
    admin=handoff_admin.PAGES,
    figures=handoff_figures.PROVIDER,
)
