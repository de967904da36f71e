"""The quiz in chat: answers to its questions, its intents, and a reminder of an open attempt."""

from __future__ import annotations

from bot.conversation.chain import Answer, ChatHandlers, Notice, Turn
from bot.core.replies import Reply
from bot.core.services import Services
from bot.features.quiz.play import QuizDesk


def chat(desk: QuizDesk, services: Services) -> ChatHandlers:
    async def answer(turn: Turn) -> Answer | None:
        played = await desk.handle(turn.citizen, turn.text)
        if played is None:
            return None
        return Answer(played.replies, played.intent, "quiz", Notice.FIRST_CONTACT)

    async def on_intent(turn: Turn) -> Answer | None:
        played = await desk.on_intent(turn.citizen, turn.intent)
        return Answer(played.replies) if played is not None else None

    async def reminder(turn: Turn) -> Reply | None:
        if turn.citizen.quiz_attempt_id is None:
            return None
        return await desk.reminder(turn.citizen)

    return ChatHandlers(
        before_nlu={"answer": answer},
        after_nlu={"intent": on_intent},
        add_ons={"reminder": reminder},
    )
