"""The handoff in chat: while a person has the conversation, and asking for one."""

from __future__ import annotations

from bot.conversation.chain import Answer, ChatHandlers, Notice, Turn
from bot.core.replies import Reply
from bot.core.services import Services
from bot.features.handoff import desk as handoff
from bot.features.handoff import outcomes
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
            closed = await desk.close(current.id, "citizen")
            citizen.handoff_id = None
            replies = [Reply(handoff.BACK)]
            if closed is not None and closed.status == "claimed":
                replies.append(outcomes.rate_question(current.id))  # a volunteer helped
            return Answer(replies, "handoff_end", TOPIC, Notice.NEVER)
        # The assistant has paused for this citizen: what they write goes to the volunteer.
        replies = await desk.citizen_wrote(citizen, current, turn.text)
        return Answer(replies, "handoff_message", TOPIC, Notice.NEVER)

    async def rating(turn: Turn) -> Answer | None:
        """A tap on a rating button after a handoff closed: stored once, and thanked."""
        if not turn.text.startswith(outcomes.RATE_PAYLOAD):
            return None
        tap = outcomes.parse_rating(turn.text)
        result = await desk.rate(turn.citizen, *tap) if tap else "no"
        if result == "rated" and tap:
            text = outcomes.THANKS[tap[1]]
        else:
            text = outcomes.RATED_BEFORE if result == "again" else outcomes.NOT_RATABLE
        return Answer([Reply(text)], "handoff_rating", TOPIC, Notice.NEVER)

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

    return ChatHandlers(
        before_nlu={"rating": rating, "during": during}, after_nlu={"request": request}
    )
