"""A message with no words ("", "   ", "???", "...") or none the assistant knows ("asdkjh qwe",
"kkk"): the NLU would still pick an intent for it (often "affirm", "Dạ vâng"), so it gets the
assistant's "not understood" answer instead, with the topics it can help with.
"""

from __future__ import annotations

import unicodedata

from actions.content import content
from bot.conversation.chain import Answer, ChatHandlers, Turn
from bot.core.replies import Reply
from bot.core.services import Services
from bot.nlu.vocabulary import known_words, knows_none_of, lemmas

FALLBACK = "nlu_fallback"
# Spaces, punctuation, and invisible characters (controls, zero-width and other format marks).
_NO_WORD_CATEGORIES = ("Z", "P", "Cc", "Cf")


def has_no_words(text: str) -> bool:
    """True when `text` has no letter, digit, emoji or other symbol to read."""
    return all(
        unicodedata.category(ch).startswith(_NO_WORD_CATEGORIES) or ch.isspace() for ch in text
    )


def not_understood() -> list[Reply]:
    """The assistant's own "chưa hiểu" answer (content/answers.yml), with its buttons."""
    answer = content().get(FALLBACK)
    assert answer is not None, "answers.yml must define nlu_fallback"
    buttons = tuple(b for b in (content().button(k) for k in answer.buttons) if b)
    replies = [Reply(text) for text in answer.messages]
    replies[-1] = Reply(replies[-1].text, buttons)
    return replies


def chat(desk: None, services: Services) -> ChatHandlers:
    """Answers a message with no words, or no known word, before the NLU reads it."""
    known = known_words()  # read once, at start-up, not on a citizen's first message

    async def fallback(turn: Turn) -> Answer | None:
        text = turn.text
        if text.startswith("/") or not (has_no_words(text) or knows_none_of(lemmas(text), known)):
            return None
        return Answer(not_understood(), intent=FALLBACK, topic="out_of_scope")

    return ChatHandlers(before_nlu={"fallback": fallback})
