"""The lemmas the NLU reads in a message, without Rasa: folded, de-abbreviated words with their
spans. The Rasa tokenizer (bot/nlu/tokenizer.py) turns them into tokens; the gateway reads them
directly (known words, the retrieval), so it never loads Rasa and TensorFlow (480 MB).
"""

from __future__ import annotations

from functools import lru_cache

import regex

from bot.nlu.teencode import dictionary, expand
from bot.nlu.text import decode_keyboard_leftovers, fold, normalize

# Words: letters (any script) and digits, keeping in-word dots/slashes so "tinnhiemmang.vn",
# "06/QĐ-TTg" and "10/10" stay one token. Emoji are dropped; a message of only emoji becomes one
# placeholder token so the classifier still sees something.
_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+(?:[./\-@_:][\p{L}\p{M}\p{N}]+)*")
# "nq57", "qd749", "muc2": letters glued to digits are split into two words.
_GLUED = regex.compile(r"^(\p{L}+)(\d+)$")
_NOT_WORD = regex.compile(r"[^\p{L}\p{N}]+")
EMOJI_TOKEN = "__emoji__"
EMPTY_TOKEN = "__empty__"

# (surface word, start, end, lemma)
Span = tuple[str, int, int, str]


# One message is read by the "no known word" check, the retrieval and the tokenizer in a turn.
@lru_cache(maxsize=512)
def lemma_spans(text: str, max_chars: int = 2000) -> tuple[Span, ...]:
    # NFC and tone placement change neither length nor offsets for NFC input; for NFD input
    # offsets refer to the normalised text, which is what the rest of the pipeline sees anyway.
    surface = normalize(text[:max_chars])
    matches = list(_WORD.finditer(surface))
    if not matches:
        placeholder = emoji_lemma(surface) if surface.strip() else EMPTY_TOKEN
        return ((surface or " ", 0, max(len(surface), 1), placeholder),)
    spans: list[tuple[str, int, int, str]] = []
    teencode_table = dictionary()
    for m in matches:
        folded = fold(m.group(0))
        if folded not in teencode_table:
            folded = decode_keyboard_leftovers(folded)
        glued = _GLUED.match(folded)
        parts = [glued.group(1), glued.group(2)] if glued else [folded]
        spans.extend((m.group(0), m.start(), m.end(), part) for part in parts)
    found: list[Span] = []
    expanded = expand([span[3] for span in spans])
    for (surface, start, end, _), words in zip(spans, expanded, strict=True):
        found.extend((surface, start, end, number_lemma(word)) for word in words)
    return tuple(found)


# What an emoji-only message means in chat.
_EMOJI_MEANINGS = (
    ("__emoji_ok__", "👍👌🆗✅"),
    ("__emoji_thanks__", "🙏❤💕🥰😍"),
    ("__emoji_upset__", "😡😠🤬😢😭😞☹🙁👎"),
)


def emoji_lemma(text: str) -> str:
    for lemma, chars in _EMOJI_MEANINGS:
        if any(ch in text for ch in chars):
            return lemma
    return EMOJI_TOKEN


def number_lemma(word: str) -> str:
    """Keep numbers distinct: CountVectorsFeaturizer turns every digit run into __NUMBER__,
    which would make "nghị quyết 52" and "nghị quyết 57", "mức 1" and "mức 2" identical.
    A leading letter and no separators ("749" -> "n749", "10/10" -> "n10_10") avoid that."""
    if not any(ch.isdigit() for ch in word):
        return word
    word = _NOT_WORD.sub("_", word).strip("_")
    return word if word[:1].isalpha() else f"n{word}"
