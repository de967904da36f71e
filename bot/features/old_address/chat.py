"""Old addresses in chat: questions about an old unit's fate or a unit's one-stop office are
answered before the NLU; any other message passes on."""

from __future__ import annotations

from actions.content import content
from bot.conversation.chain import Answer, ChatHandlers, Notice, Turn
from bot.core.services import Services
from bot.features.old_address import answer, reading

WHERE_INTENT, OFFICE_INTENT = "old_address", "commune_office"
WHERE_TOPIC, OFFICE_TOPIC = "digital_government", "public_services"
# The general answer on the 2025 reorganisation, offered after an old unit's.
MORE = "gov_reorganisation"


def chat(desk: None, services: Services) -> ChatHandlers:
    limit = services.settings.max_message_chars
    links = content().links
    more = content().button(MORE)
    buttons = (more,) if more is not None else ()
    # Fail at start, not in a citizen's turn, if a link the office answer names is gone.
    for name in ("province_hcc", "province_portal", "dvc_portal"):
        links[name]

    async def question(turn: Turn) -> Answer | None:
        if turn.text.startswith("/"):
            return None  # a button's payload
        asked = reading.read(turn.text[:limit])
        if asked is None:
            return None
        if asked.what == "office":
            reply = answer.office(asked.named, links)
            return Answer([reply], OFFICE_INTENT, OFFICE_TOPIC, Notice.FIRST_CONTACT)
        reply = answer.where(asked.named, buttons)
        return Answer([reply], WHERE_INTENT, WHERE_TOPIC, Notice.FIRST_CONTACT)

    return ChatHandlers(before_nlu={"question": question})
