"""The newsletter in chat: subscribing and unsubscribing, and the offer to a new follower."""

from __future__ import annotations

from bot.conversation.chain import Answer, ChatHandlers, Turn
from bot.core.replies import Reply
from bot.core.services import Services
from bot.features.newsletter import desk as newsletter
from bot.features.newsletter.desk import NewsletterDesk


def chat(desk: NewsletterDesk, services: Services) -> ChatHandlers:
    async def on_intent(turn: Turn) -> Answer | None:
        replies = await desk.on_intent(turn.citizen, turn.intent)
        return Answer(replies) if replies is not None else None

    async def follow_offer(turn: Turn) -> Reply | None:
        citizen = turn.citizen
        if not turn.follow or not citizen.consented or citizen.newsletter:
            return None
        return Reply(newsletter.OFFER, newsletter.OFFER_BUTTONS)

    return ChatHandlers(after_nlu={"intent": on_intent}, add_ons={"follow_offer": follow_offer})
