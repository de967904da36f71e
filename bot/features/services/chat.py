"""Public services in chat: a service the citizen names gets its card; a name that means several,
or a question about a procedure the catalogue cannot place, gets the closest services as buttons.
A service's button is answered here, before the NLU."""

from __future__ import annotations

from bot.conversation.chain import Answer, ChatHandlers, Notice, Turn
from bot.core.services import Services
from bot.features.services import card
from bot.features.services.catalog import Catalog, Service, load_catalog
from bot.nlu.second_opinion import Kind

CARD_INTENT, CHOICE_INTENT = "service_card", "service_choice"
# Topics whose confident answer is kept when the message also names a service: the message is
# about a scam, an account, data, a person or a campaign, not the procedure (a VNeID answer is
# the assistant's own guide). Under any other topic (small talk included) the card answers.
KEEP_TOPICS = frozenset(
    {
        "scam_awareness", "report_incident", "account_security", "privacy_data", "data_rights",
        "human_handoff", "quiz", "contests_events", "newsletter", "vneid",
    }
)  # fmt: skip


def topic_of(service: Service) -> str:
    """VNeID accounts are their own topic; every other service is a public service."""
    return "vneid" if service.id.startswith("vneid_") else "public_services"


def chat(desk: None, services: Services, catalog: Catalog | None = None) -> ChatHandlers:
    catalog = catalog or load_catalog()  # refused at start-up, not in a citizen's turn
    topics = services.topics
    by_id = {s.id: s for s in catalog.services}

    def card_answer(service: Service) -> Answer:
        return Answer(card.render(service), CARD_INTENT, topic_of(service), Notice.FIRST_CONTACT)

    async def tap(turn: Turn) -> Answer | None:
        if not turn.text.startswith(card.PAYLOAD):
            return None
        service = by_id.get(turn.text.removeprefix(card.PAYLOAD).strip())
        if service is None:  # an old button of a service since removed
            reply = card.choices(catalog.closest(turn.text), ambiguous=False)
            return Answer([reply], CHOICE_INTENT, "public_services", Notice.FIRST_CONTACT)
        return card_answer(service)

    async def named(turn: Turn) -> Answer | None:
        decision = turn.reading
        if decision is None:
            return None
        intent = decision.intent or (decision.choices[0] if decision.choices else None)
        topic = topics.topic_of(intent)
        unsure = decision.kind is not Kind.ANSWER
        text = turn.text[: services.settings.max_message_chars]
        match = catalog.named(text)
        if match is None:
            # A procedure asked about that no alias names: offer the closest, if the NLU is unsure.
            closest = catalog.closest(text) if topic == "public_services" and unsure else ()
            if closest:
                reply = card.choices(closest, ambiguous=False)
                return Answer([reply], CHOICE_INTENT, topic, Notice.FIRST_CONTACT)
            return None
        if not unsure and topic in KEEP_TOPICS:
            return None  # e.g. a scam that names a service: the NLU's answer is about the scam
        if match.service is not None:
            return card_answer(match.service)
        reply = card.choices(match.closest, ambiguous=True)
        return Answer([reply], CHOICE_INTENT, "public_services", Notice.FIRST_CONTACT)

    return ChatHandlers(before_nlu={"tap": tap, "named": named})
