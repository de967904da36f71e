"""The scam check in chat: asked for, a pasted message read again under its topic, or a
screenshot's text read and checked."""

from __future__ import annotations

from bot.conversation.chain import Answer, ChatHandlers, Notice, Turn
from bot.core.privacy import mask_text
from bot.core.replies import Reply
from bot.core.services import Services
from bot.features.scam import flow, screenshot

TOPIC = "scam_awareness"
# What the dispatcher gives the turn for an image (bot/pipeline/dispatcher.py).
SHARE_IMAGE = "/share_image"


def chat(desk: None, services: Services) -> ChatHandlers:
    limit = services.settings.max_message_chars
    reader = screenshot.ScreenshotReader(
        screenshot.LIMITS, allow_private=services.settings.attachment_allow_private
    )

    async def check(turn: Turn) -> Answer | None:
        if turn.text == SHARE_IMAGE and turn.attachment_url:
            text = await reader.text(turn.attachment_url)
            # Masked before anything else sees it, like a typed message.
            masked = mask_text(text[:limit]) if text else None
            found = await flow.screenshot(services.citizens, turn.citizen, masked)
        else:
            found = await flow.handle(services.citizens, turn.citizen, turn.text[:limit])
        if found is None:
            return None
        replies, intent = found
        return Answer(replies, intent, TOPIC, Notice.FIRST_CONTACT)

    def pasted(text: str, topic: str) -> tuple[list[Reply], str] | None:
        return flow.pasted_scam(text) if topic == TOPIC else None

    return ChatHandlers(before_nlu={"check": check}, rereads={"pasted": pasted})
