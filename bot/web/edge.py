"""What the HTTP routes need of a turn: the sender's pseudonym and the conversation."""

from __future__ import annotations

from aiohttp import web

from bot.conversation.turn import Outcome
from bot.core.privacy import mask_text, user_ref
from bot.web import keys


def ref_for(app: web.Application, channel: str, page_id: str, platform_id: str) -> str:
    return user_ref(app[keys.services_key].pseudonym_key, channel, page_id, platform_id)


async def handle_message(app: web.Application, *, channel: str, ref: str, text: str) -> Outcome:
    """Run one turn for the pseudonymous user `ref` on `channel`. The text is masked first, as
    the inbox masks Facebook's and Zalo's: Rasa's tracker never holds a raw phone or ID."""
    # Only what the turn reads (one character more tells it the message was cut) is masked.
    limit = app[keys.services_key].settings.max_message_chars + 1
    return await app[keys.conversation_key].handle(channel, ref, mask_text(text[:limit]))
