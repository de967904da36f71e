"""The newsletter's outbox hook: an issue queued for someone who has since unsubscribed (or
withdrawn consent) is not sent."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.features.newsletter.desk import OUTBOX_KIND, still_subscribed
from bot.pipeline.hooks import SendHooks

__all__ = ["OUTBOX_KIND", "newsletter_hooks"]


def newsletter_hooks(engine: AsyncEngine) -> SendHooks:
    async def subscribed(row: Any) -> bool:
        return await still_subscribed(engine, row.user_ref)

    return SendHooks(before_send=subscribed, skip_reason="unsubscribed")
