"""VietnameseTokenizer: a Rasa tokenizer whose token lemmas are folded and de-abbreviated.

The surface text stays in `token.text` (and the message text is untouched); the lemma holds the
lower-cased, accent-folded form with teencode expanded, so "chuyển đổi số", "chuyen doi so" and
"cdso" share the features of CountVectorsFeaturizer (which reads lemmas by default). An
abbreviation that stands for several words becomes several tokens over the same span.
"""

from __future__ import annotations

from typing import Any

import regex
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

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


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class VietnameseTokenizer(Tokenizer):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
            # Longest text (in characters) that is tokenised; the rest of a huge paste adds
            # nothing to intent detection and only costs time.
            "max_chars": 2000,
        }

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> VietnameseTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute) or ""
        if attribute != TEXT:
            # Intent/action names: plain whitespace split, as the stock tokenizer does.
            return self._convert_words_to_tokens(text.split() or [text], text)
        return tokenize_text(text, self._config.get("max_chars", 2000))


def tokenize_text(text: str, max_chars: int = 2000) -> list[Token]:
    # NFC and tone placement change neither length nor offsets for NFC input; for NFD input
    # offsets refer to the normalised text, which is what the rest of the pipeline sees anyway.
    surface = normalize(text[:max_chars])
    matches = list(_WORD.finditer(surface))
    if not matches:
        placeholder = emoji_lemma(surface) if surface.strip() else EMPTY_TOKEN
        return [Token(surface or " ", 0, max(len(surface), 1), lemma=placeholder)]
    spans: list[tuple[str, int, int, str]] = []
    teencode_table = dictionary()
    for m in matches:
        folded = fold(m.group(0))
        if folded not in teencode_table:
            folded = decode_keyboard_leftovers(folded)
        glued = _GLUED.match(folded)
        parts = [glued.group(1), glued.group(2)] if glued else [folded]
        spans.extend((m.group(0), m.start(), m.end(), part) for part in parts)
    tokens: list[Token] = []
    expanded = expand([span[3] for span in spans])
    for (surface, start, end, _), words in zip(spans, expanded, strict=True):
        for word in words:
            tokens.append(Token(surface, start, end, lemma=number_lemma(word)))
    return tokens


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
