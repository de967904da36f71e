"""A message with no words ("", "   ", "???", "...") or none the assistant knows ("asdkjh qwe",
"kkk"): the NLU would still pick an intent for it (often "affirm", "Dạ vâng"), so it gets the
assistant's "not understood" answer instead, with the topics it can help with.
"""

from __future__ import annotations

import unicodedata

from bot.conversation.chain import Answer, ChatHandlers, Turn
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


def chat(desk: None, services: Services) -> ChatHandlers:
    """A message with no words, or no known word, goes to the NLU as its fallback intent: the
    "not understood" answer, counted like any other (two in a row offer a volunteer)."""
    known = known_words()  # read once, at start-up, not on a citizen's first message

    async def fallback(turn: Turn) -> Answer | None:
        text = turn.text
        if not text.startswith("/") and (has_no_words(text) or knows_none_of(lemmas(text), known)):
            turn.nlu_text = f"/{FALLBACK}"
        return None

    return ChatHandlers(before_nlu={"fallback": fallback})
