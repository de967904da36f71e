"""The handoff in chat: while a person has the conversation, and asking for one."""

from __future__ import annotations

from bot.conversation.chain import Answer, ChatHandlers, Notice, Turn
from bot.core.replies import Reply
from bot.core.services import Services
from bot.features.handoff import desk as handoff
from bot.features.handoff.desk import HandoffDesk

TOPIC = "human_handoff"


def chat(desk: HandoffDesk, services: Services) -> ChatHandlers:
    async def during(turn: Turn) -> Answer | None:
        """A person has the conversation: keep what the citizen writes for them, or hand back."""
        citizen = turn.citizen
        if citizen.handoff_id is None:
            return None
        current = await desk.current(citizen)
        if current is None:
            citizen.handoff_id = None
            return None
        if handoff.is_end(turn.text):
            await desk.close(current.id, "citizen")
            citizen.handoff_id = None
            return Answer([Reply(handoff.BACK)], "handoff_end", TOPIC, Notice.NEVER)
        # The assistant has paused for this citizen: what they write goes to the volunteer.
        replies = await desk.citizen_wrote(citizen, current, turn.text)
        return Answer(replies, "handoff_message", TOPIC, Notice.NEVER)

    async def request(turn: Turn) -> Answer | None:
        """Asked for a person, or misunderstood too often in a row: open a handoff."""
        citizen = turn.citizen
        asked = turn.intent == "handoff_request"
        if citizen.handoff_id is not None:
            if not asked:
                return None
            return Answer([Reply(handoff.STILL_WAITING, handoff.BACK_BUTTON)], topic=TOPIC)
        if not asked and citizen.fallbacks_in_row < handoff.FALLBACKS_BEFORE_HANDOFF:
            return None
        reason = "fallbacks" if not turn.understood else "request"
        if turn.text.startswith("/handoff"):
            reason = "button"
        await desk.open(citizen, reason)
        citizen.fallbacks_in_row = 0
        opened = handoff.OPENED if reason != "fallbacks" else handoff.AFTER_FALLBACKS
        return Answer([Reply(opened, handoff.BACK_BUTTON)], topic=TOPIC)

    return ChatHandlers(before_nlu={"during": during}, after_nlu={"request": request})
