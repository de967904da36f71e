"""Topic accuracy of a model on the held-out set (used by `make nlu-report` and the CI test)."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.engine.runner import FALLBACK_INTENTS
from bot.engine.topics import OUT_OF_SCOPE, TopicMap
from bot.settings import PROJECT_ROOT

HELDOUT_FILE = PROJECT_ROOT / "tests" / "data" / "heldout.tsv"
FORMS = ("accented", "unaccented", "teencode")


@dataclass(frozen=True)
class Example:
    topic: str
    form: str
    text: str


@dataclass
class Report:
    total: int = 0
    correct: int = 0
    by_topic: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    by_form: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)
    # Out-of-scope inputs that fell back (good) and in-scope inputs that fell back (missed).
    oos_fell_back: int = 0
    oos_total: int = 0
    in_scope_fell_back: int = 0
    errors: list[tuple[Example, str, str | None, float]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def form_accuracy(self, form: str) -> float:
        ok, n = self.by_form[form]
        return ok / n if n else 0.0

    def topic_accuracy(self, topic: str) -> float:
        ok, n = self.by_topic[topic]
        return ok / n if n else 0.0

    def add(self, example: Example, predicted: str, intent: str | None, confidence: float) -> None:
        hit = predicted == example.topic
        self.total += 1
        self.correct += hit
        for bucket in (self.by_topic[example.topic], self.by_form[example.form]):
            bucket[0] += hit
            bucket[1] += 1
        if example.topic == OUT_OF_SCOPE:
            self.oos_total += 1
            self.oos_fell_back += predicted == OUT_OF_SCOPE
        elif predicted == OUT_OF_SCOPE:
            self.in_scope_fell_back += 1
        if not hit:
            self.confusions[(example.topic, predicted)] += 1
            self.errors.append((example, predicted, intent, confidence))


def load_heldout(path: Path = HELDOUT_FILE) -> list[Example]:
    with path.open(encoding="utf-8") as handle:
        rows = csv.reader((line for line in handle if not line.startswith("#")), delimiter="\t")
        return [Example(topic, form, text) for topic, form, text in rows]


def topic_of_parse(parse: dict[str, Any], topics: TopicMap) -> tuple[str, str | None, float]:
    intent = (parse.get("intent") or {}).get("name")
    confidence = float((parse.get("intent") or {}).get("confidence") or 0.0)
    return topics.topic_of(intent, fallback=intent in FALLBACK_INTENTS), intent, confidence


async def evaluate(
    parse: Callable[[str], Awaitable[dict[str, Any]]],
    examples: Iterable[Example],
    topics: TopicMap | None = None,
) -> Report:
    topics = topics or TopicMap.load()
    report = Report()
    for example in examples:
        predicted, intent, confidence = topic_of_parse(await parse(example.text), topics)
        report.add(example, predicted, intent, confidence)
    return report
