"""The scam check in chat: asked for, or a pasted message read again under its topic."""

from __future__ import annotations

from bot.conversation.chain import Answer, ChatHandlers, Notice, Turn
from bot.core.replies import Reply
from bot.core.services import Services
from bot.features.scam import flow

TOPIC = "scam_awareness"


def chat(desk: None, services: Services) -> ChatHandlers:
    limit = services.settings.max_message_chars

    async def check(turn: Turn) -> Answer | None:
        found = await flow.handle(services.citizens, turn.citizen, turn.text[:limit])
        if found is None:
            return None
        replies, intent = found
        return Answer(replies, intent, TOPIC, Notice.FIRST_CONTACT)

    def pasted(text: str, topic: str) -> tuple[list[Reply], str] | None:
        return flow.pasted_scam(text) if topic == TOPIC else None

    return ChatHandlers(before_nlu={"check": check}, rereads={"pasted": pasted})
