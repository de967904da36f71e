"""The writing contest in chat: a submission being written, and its rules."""

from __future__ import annotations

from bot.conversation.chain import Answer, ChatHandlers, Notice, Turn
from bot.core.services import Services
from bot.features.contest.desk import ContestDesk


def chat(desk: ContestDesk, services: Services) -> ChatHandlers:
    async def submission(turn: Turn) -> Answer | None:
        replies = await desk.handle(turn.citizen, turn.text)
        if replies is None:
            return None
        return Answer(replies, "contest_submit", "contests_events", Notice.FIRST_CONTACT)

    async def rules(turn: Turn) -> Answer | None:
        if turn.intent != "contest_writing":
            return None
        return Answer(await desk.rules_reply())

    return ChatHandlers(before_nlu={"submission": submission}, after_nlu={"rules": rules})
