"""The broadcasts' outbox hooks: an issue queued for someone who has since unsubscribed (or
withdrawn consent) is not sent, nor is an alert queued for someone who withdrew consent."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.features.newsletter.desk import ALERT_KIND, OUTBOX_KIND, still_consented, still_subscribed
from bot.pipeline.hooks import SendHooks

__all__ = ["ALERT_KIND", "OUTBOX_KIND", "alert_hooks", "newsletter_hooks"]


def newsletter_hooks(engine: AsyncEngine) -> SendHooks:
    async def subscribed(row: Any) -> bool:
        return await still_subscribed(engine, row.user_ref)

    return SendHooks(before_send=subscribed, skip_reason="unsubscribed")


def alert_hooks(engine: AsyncEngine) -> SendHooks:
    async def consented(row: Any) -> bool:
        return await still_consented(engine, row.user_ref)

    return SendHooks(before_send=consented, skip_reason="consent withdrawn")
