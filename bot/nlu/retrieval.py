"""A second opinion on what a message asks: the training examples and answer texts most like it.

Examples and answers are read as the NLU reads them (folded lemmas, teencode expanded), then
compared by character n-grams (TF-IDF, cosine), so a misspelt or run-together word still meets
its neighbours. Each intent scores its best example; the classifier's ranking is checked
against this one in bot/nlu/second_opinion.py.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.nlu.vocabulary import lemmas, plain_example
from bot.settings import PROJECT_ROOT

# Intents that are not topics a citizen asks about: never offered, never a second opinion.
_LEFT_OUT = frozenset({"nlu_fallback"})


@dataclass(frozen=True)
class Neighbour:
    intent: str
    score: float  # cosine similarity of the best example, 0..1


def reading(text: str) -> str:
    """`text` as the retrieval compares it: the NLU's lemmas, one space apart."""
    return " ".join(lemmas(text))


def training_examples(root: Path = PROJECT_ROOT) -> Iterator[tuple[str, str]]:
    """(intent, example) for every NLU example of the project."""
    for path in sorted((root / "nlu_data").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            intent, examples = block.get("intent"), block.get("examples")
            if not intent or not isinstance(examples, str):
                continue
            for line in examples.splitlines():
                example = plain_example(line.strip().removeprefix("- "))
                if example:
                    yield intent, example


def answer_texts(root: Path = PROJECT_ROOT) -> Iterator[tuple[str, str]]:
    """(intent, text) for each answer's title and first message: what the answer is about."""
    data: dict[str, Any] = yaml.safe_load(
        (root / "content" / "answers.yml").read_text(encoding="utf-8")
    )
    for intent, answer in (data or {}).items():
        if not isinstance(answer, dict):
            continue
        messages = answer.get("messages") or []
        for text in (answer.get("title"), *messages[:1]):
            if isinstance(text, str) and text:
                yield intent, text


class Retriever:
    """The intents whose examples are nearest to a message."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        read = [(i, reading(t)) for i, t in pairs if i not in _LEFT_OUT]
        # Grouped by intent, so each intent's best example is one reduce over its block.
        kept = sorted(((i, r) for i, r in read if r), key=lambda pair: pair[0])
        self._intents = sorted({i for i, _ in kept})
        owners = [i for i, _ in kept]
        self._starts = np.array([owners.index(i) for i in self._intents])
        # Character n-grams inside word bounds: typos and joined words still share most grams.
        self._vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, dtype=np.float32
        )
        # One row per n-gram: a message's similarity to every example sums the rows of its grams.
        self._examples = self._vectorizer.fit_transform([r for _, r in kept]).T.tocsr()
        self._grams: dict[str, int] = dict(self._vectorizer.vocabulary_)
        self._idf = self._vectorizer.idf_.astype(np.float32)

    @staticmethod
    def pairs(root: Path = PROJECT_ROOT) -> list[tuple[str, str]]:
        """(intent, text) of the project's training examples and answers."""
        return [*training_examples(root), *answer_texts(root)]

    @classmethod
    def load(cls, root: Path = PROJECT_ROOT) -> Retriever:
        return cls(cls.pairs(root))

    def ranking(self, text: str, count: int = 5) -> list[Neighbour]:
        """The `count` intents with the most similar example, best first."""
        read = reading(text)
        if not read:
            return []
        weights = self._weights(read)
        if not weights:
            return []
        rows = np.fromiter(weights, dtype=np.int64)
        values = np.fromiter(weights.values(), dtype=np.float32)
        # The vectorizer's own transform costs milliseconds in a turn; these are its numbers.
        similarities = (values @ self._examples[rows]).ravel()
        best = np.maximum.reduceat(similarities, self._starts)
        order = np.argsort(-best, kind="stable")[:count]
        return [Neighbour(self._intents[i], float(best[i])) for i in order if best[i] > 0]

    def _weights(self, read: str) -> dict[int, float]:
        """The message's TF-IDF vector as the vectorizer computes it (char_wb 2-4, sublinear
        term frequency, l2 norm), keeping only the grams the examples have."""
        counts: dict[int, int] = {}
        for word in read.split():
            padded = f" {word} "
            for size in (2, 3, 4):
                for start in range(len(padded) - size + 1):
                    index = self._grams.get(padded[start : start + size])
                    if index is not None:
                        counts[index] = counts.get(index, 0) + 1
        weights = {i: (1.0 + math.log(c)) * float(self._idf[i]) for i, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        return {i: w / norm for i, w in weights.items()} if norm else {}
