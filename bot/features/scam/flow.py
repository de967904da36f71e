"""When a message is a request for a scam check (typed, pasted or a screenshot), and the check's
turn."""

from __future__ import annotations

import re

from bot.conversation.citizens import Citizen, CitizenRegistry
from bot.core.replies import Reply
from bot.features.scam import reply
from bot.features.scam.check import (
    ASK,
    DESCRIBED,
    URL,
    Risk,
    Verdict,
    check,
    general_question,
    official_only,
)
from bot.nlu.text import folded_words

CHECK_PAYLOAD = "/scam_check"
AWAITING = "scamcheck"
# A pasted message is long; "tin nhắn lừa đảo là gì" is a question about scams, not a paste.
PASTE_MIN_WORDS = 8
# What a request to check points at: a message, a link, a number, a call, a page, an offer.
_REFERENT = re.compile(
    r"\b(?:tin|tn|sms|link|duong (?:link|dan)|so|sdt|cuoc goi|goi|trang|web|website|email|mail|"
    r"loi moi|nhom|stk|nay|do|kia|ho|nguoi)\b"
)
# "... kiểm tra ở đâu", "... trước khi chuyển tiền": how to check, asked in general.
_HOW = re.compile(r"\b(?:o dau|the nao|lam sao|nhu the nao|ntn|truoc khi|cach nao|bang cach)\b")
_CHECK_ME = re.compile(r"\b(?:kiem tra|check|xem) (?:giup|ho|dum|gium)\b")
# Asking where or how to report what happened: the report topic's answer, not a verdict.
_REPORTING = re.compile(
    r"\b(?:muon|can|phai|de|cach) (?:\w+ ){0,3}(?:bao cao|to giac|trinh bao|phan anh|"
    r"bao cho (?:nha mang|cong an|ngan hang)|chan so)\b"
)
_NEWSLETTER = re.compile(r"\bban tin\b")
# After a harmless verdict on a screenshot's text.
SCREENSHOT_LOW = (
    "Mình đọc chữ trong ảnh nên có thể sót chữ hoặc đường link. "
    "Nếu còn nghi ngờ, bạn dán lại nội dung tin nhắn giúp mình nhé."
)


async def handle(
    registry: CitizenRegistry, citizen: Citizen, text: str
) -> tuple[list[Reply], str] | None:
    """The replies and the intent to record when `text` asks for a scam check; else None."""
    if text.strip() == CHECK_PAYLOAD:
        await registry.update(citizen, awaiting=AWAITING)
        return reply.ask(), "scam_check_ask"
    if text.startswith("/"):
        return None
    if citizen.awaiting == AWAITING:
        await registry.update(citizen, awaiting=None)
        return _verdict(text)
    folded = folded_words(text)
    if _REPORTING.search(folded) or _NEWSLETTER.search(folded):
        # "muốn báo cáo tin nhắn lừa đảo thì gửi đến số nào": where to report; "bản tin không
        # thấy gửi, kiểm tra giúp": the assistant's own newsletter.
        return None
    if (
        URL.search(text)
        and re.search(r"\.[a-z]{2,}\b", text.lower())
        and not (official_only(text) and not ASK.search(folded))
    ):
        # "trang binhdanhocvuso.gov.vn đk học sao": an official page asked about, not a lure.
        return _verdict(text)
    if ASK.search(folded):
        rest = ASK.sub(" ", folded).split()
        digits = any(ch.isdigit() for ch in text)
        # "kiểm tra giúp tin nhắn lừa đảo" asks for a check, whatever else it says.
        general = (
            len(rest) >= 2
            and not _CHECK_ME.search(folded)
            and (not _REFERENT.search(folded) or general_question(folded))
        )
        verdict = None
        if (general or _HOW.search(folded)) and not digits:
            verdict = check(text)
            if verdict.risk is Risk.LOW:
                # "dùng wifi quán cà phê có sao không": a safety question for the topic's answer.
                return None
        if len(rest) >= PASTE_MIN_WORDS or digits:
            return _verdict(text, verdict)
        await registry.update(citizen, awaiting=AWAITING)
        return reply.ask(), "scam_check_ask"
    if DESCRIBED.search(folded):
        # A description the check finds nothing in goes on to the topic's answer.
        verdict = check(text)
        if verdict.risk is not Risk.LOW:
            return reply.answer(verdict), f"scam_check_{verdict.risk.value}"
    return None


async def screenshot(
    registry: CitizenRegistry, citizen: Citizen, text: str | None
) -> tuple[list[Reply], str] | None:
    """The check of the text read from a screenshot (`text`, masked), as of a pasted message;
    None when no text was read: the usual screenshot advice follows."""
    if not text:
        return None
    if citizen.awaiting == AWAITING:
        await registry.update(citizen, awaiting=None)  # the screenshot is the message awaited
    replies, intent = _verdict(text)
    if intent == f"scam_check_{Risk.LOW.value}":
        # Reading an image can miss a word or a link: the citizen can still paste it.
        replies.insert(1, Reply(SCREENSHOT_LOW))
    return replies, intent


def pasted_scam(text: str) -> tuple[list[Reply], str] | None:
    """A long pasted message the NLU put under scam_awareness: answer with the check if it finds
    anything; a question about scams gets the ordinary answer."""
    if len(text.split()) < PASTE_MIN_WORDS * 2:
        return None
    verdict = check(text)
    if verdict.risk is Risk.LOW:
        return None
    return reply.answer(verdict), f"scam_check_{verdict.risk.value}"


def _verdict(text: str, verdict: Verdict | None = None) -> tuple[list[Reply], str]:
    verdict = verdict or check(text)  # checked once, even when the caller looked first
    return reply.answer(verdict), f"scam_check_{verdict.risk.value}"
