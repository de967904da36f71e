"""VietnameseTokenizer: a Rasa tokenizer whose token lemmas are folded and de-abbreviated.

The surface text stays in `token.text` (and the message text is untouched); the lemma holds the
lower-cased, accent-folded form with teencode expanded, so "chuyển đổi số", "chuyen doi so" and
"cdso" share the classifier's features (bot/nlu/classifier.py reads lemmas). An
abbreviation that stands for several words becomes several tokens over the same span.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.lemmas import lemma_spans


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
    return [
        Token(surface, start, end, lemma=lemma)
        for surface, start, end, lemma in lemma_spans(text, max_chars)
    ]
