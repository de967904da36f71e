"""Events in chat: the dated answer to questions about workshops, training and campaigns."""

from __future__ import annotations

from bot.conversation.chain import Answer, ChatHandlers, Turn
from bot.core.services import Services
from bot.features.events.desk import EventsDesk


def chat(desk: EventsDesk, services: Services) -> ChatHandlers:
    async def dated(turn: Turn) -> Answer | None:
        replies = await desk.answer(turn.intent or "", turn.text)
        return Answer(replies) if replies is not None else None

    return ChatHandlers(after_nlu={"dated": dated})
