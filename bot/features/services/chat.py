"""Public services in chat: a service the citizen names gets its card; a name that means several,
or a question about a procedure the catalogue cannot place, gets the closest services as buttons.
A service's button is answered here, before the NLU."""

from __future__ import annotations

import re

from bot.conversation.chain import Answer, ChatHandlers, Notice, Turn
from bot.core.services import Services
from bot.features.services import card
from bot.features.services.catalog import Catalog, Service, load_catalog
from bot.nlu.second_opinion import Kind
from bot.nlu.text import folded_words

CARD_INTENT, CHOICE_INTENT = "service_card", "service_choice"
# Topics whose confident answer is kept when the message also names a service: the message is
# about a scam, an account, data, a person or a campaign, not the procedure (a VNeID answer is
# the assistant's own guide); `keeps_topic` weighs the message's words.
KEEP_TOPICS = frozenset(
    {
        "scam_awareness", "report_incident", "account_security", "privacy_data", "data_rights",
        "human_handoff", "quiz", "contests_events", "newsletter", "vneid",
    }
)  # fmt: skip


# Words that make a message naming a service about the kept topic rather than the procedure:
# "chứng chỉ lý lịch tư pháp giả" is a scam; "xin trích lục khai sinh" is the procedure, whatever
# the classifier hears in it.
_TOPIC_CUES = {
    "scam_awareness": r"lua|gia mao|gia danh|mao danh|scam|chiem doat|link la|chuyen tien|ck",
    "report_incident": r"lua|to giac|bao cao|trinh bao|gia mao|mao danh|chiem doat",
    "account_security": r"mat khau|mk|hack|bi chiem|xac thuc 2|2 lop|bao mat tai khoan|otp",
    "privacy_data": r"du lieu|thong tin ca nhan|(?:bi )?lo|ro ri|bao mat|rieng tu|"
    r"dang (?:anh|len)|chup (?:anh|hinh)|luat",
    "data_rights": r"du lieu|thong tin (?:cua )?(?:toi|minh|em)|xoa|luu (?:gi|nhung gi)|rieng tu",
}
_CUES = {topic: re.compile(rf"\b(?:{words})\b") for topic, words in _TOPIC_CUES.items()}
# Asking how to get a service done: "xin", "làm ở đâu", "lệ phí", "đăng ký"...
_PROCEDURE = re.compile(
    r"\b(?:cap|cap lai|cap doi|dang ky|dk|xin|thu tuc|ho so|nop|le phi|mat phi|mat tien|o dau|"
    r"gia han|trich luc|chung thuc|bao lau|giay to can|mau|lam (?:the|lai|o|giay|so)|"
    r"doi (?:the|gplx|bang|giay|cccd|can cuoc|sang))\b"
)
# Topics whose answer never beats a named service's card.
_CARD_TOPICS = frozenset({"public_services", "digital_government", "out_of_scope", "smalltalk"})


def keeps_topic(topic: str, folded: str, service: Service | None) -> bool:
    """Whether the NLU's confident `topic` answers a message that names `service`, rather than
    the service's card: "bệnh viện có dùng sổ sức khỏe điện tử chưa" asks about hospitals."""
    if topic == "vneid":
        # "đăng ký thường trú trên VNeID" asks for the procedure; "số định danh có phải số căn
        # cước không" asks about VNeID.
        return service is None or topic_of(service) == "vneid" or not _PROCEDURE.search(folded)
    cue = _CUES.get(topic)
    if cue is not None and cue.search(folded):
        return True
    if topic in KEEP_TOPICS and topic not in _CUES:
        return True  # a person, the quiz, a contest, the newsletter
    if topic in _CARD_TOPICS:
        return False
    return not _PROCEDURE.search(folded)


def topic_of(service: Service) -> str:
    """VNeID's own services are its topic; every other service is a public service."""
    return "vneid" if "vneid" in service.id else "public_services"


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
        if not unsure and keeps_topic(topic, folded_words(text), match.service):
            return None  # e.g. a scam that names a service: the NLU's answer is about the scam
        if match.service is not None:
            return card_answer(match.service)
        reply = card.choices(match.closest, ambiguous=True)
        return Answer([reply], CHOICE_INTENT, "public_services", Notice.FIRST_CONTACT)

    return ChatHandlers(before_nlu={"tap": tap, "named": named})
