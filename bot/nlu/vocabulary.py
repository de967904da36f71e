"""The words the assistant knows: every lemma of its training examples and of its own content
(answers, topics, quiz, services, commune names), read the way the NLU reads a message. A
message none of whose words is among them ("asdkjh qwe", "kkk") is not understood, whatever
intent the classifier would still pick for it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.nlu.lemmas import EMOJI_TOKEN, EMPTY_TOKEN, lemma_spans
from bot.settings import PROJECT_ROOT

# "[Nha Trang](commune)" and "[Nha Trang]{...}" in training examples: the words only.
_ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}")
_PLACEHOLDERS = frozenset({EMOJI_TOKEN, EMPTY_TOKEN})


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _texts(root: Path) -> Iterator[str]:
    for path in sorted((root / "nlu_data").glob("*.yml")):
        for text in _strings(yaml.safe_load(path.read_text(encoding="utf-8"))):
            for line in text.splitlines():
                yield plain_example(line.strip().removeprefix("- "))
    for path in sorted((root / "content").glob("*.yml")):
        yield from _strings(yaml.safe_load(path.read_text(encoding="utf-8")))
    communes = root / "content" / "communes.csv"
    if communes.exists():
        yield communes.read_text(encoding="utf-8")


def plain_example(example: str) -> str:
    """A training example without its entity annotations: "[Nha Trang](commune)" -> "Nha Trang"."""
    return _ANNOTATION.sub(lambda m: m.group(1) or m.group(2), example)


def lemmas(text: str) -> list[str]:
    """The lemmas the NLU reads in `text`, without the emoji and empty placeholders."""
    return [span[3] for span in lemma_spans(text) if span[3] not in _PLACEHOLDERS]


@lru_cache(maxsize=1)
def known_words(root: Path = PROJECT_ROOT) -> frozenset[str]:
    words: set[str] = set()
    for text in _texts(root):
        words.update(lemmas(text))
    return frozenset(words)


def knows_none_of(words: Iterable[str], known: frozenset[str]) -> bool:
    """True when there are words and none is known (numbers count as known)."""
    seen = [w for w in words if not (w[:1] == "n" and w[1:2].isdigit())]
    return bool(seen) and not any(w in known for w in seen)
