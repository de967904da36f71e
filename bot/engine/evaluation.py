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
    batch: int = 1


@dataclass
class Report:
    total: int = 0
    correct: int = 0
    by_topic: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    by_form: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    by_batch: dict[int, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)
    # Out-of-scope inputs that fell back (good) and in-scope inputs that fell back (missed).
    oos_fell_back: int = 0
    oos_total: int = 0
    in_scope_fell_back: int = 0
    errors: list[tuple[Example, str, str | None, float]] = field(default_factory=list)
    # (expected topic, intent ranking without the fallback entry), for threshold sweeps.
    rankings: list[tuple[str, list[tuple[str, float]]]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def form_accuracy(self, form: str) -> float:
        ok, n = self.by_form[form]
        return ok / n if n else 0.0

    def batch_accuracy(self, batch: int) -> float:
        ok, n = self.by_batch[batch]
        return ok / n if n else 0.0

    def topic_accuracy(self, topic: str) -> float:
        ok, n = self.by_topic[topic]
        return ok / n if n else 0.0

    def add(self, example: Example, predicted: str, intent: str | None, confidence: float) -> None:
        hit = predicted == example.topic
        self.total += 1
        self.correct += hit
        buckets = (
            self.by_topic[example.topic],
            self.by_form[example.form],
            self.by_batch[example.batch],
        )
        for bucket in buckets:
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
    """Rows `topic<TAB>form<TAB>text`; a comment line "# batch N" starts batch N."""
    examples: list[Example] = []
    batch = 1
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("# batch "):
                batch = int(line.split()[2].rstrip(":"))
            if line.startswith("#") or not line.strip():
                continue
            topic, form, text = next(csv.reader([line.rstrip("\n")], delimiter="\t"))
            examples.append(Example(topic, form, text, batch))
    return examples


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
        parsed = await parse(example.text)
        predicted, intent, confidence = topic_of_parse(parsed, topics)
        report.add(example, predicted, intent, confidence)
        ranking = [
            (r["name"], float(r["confidence"]))
            for r in parsed.get("intent_ranking") or []
            if r.get("name") != "nlu_fallback"
        ]
        report.rankings.append((example.topic, ranking))
    return report


@dataclass(frozen=True)
class SweepPoint:
    threshold: float
    ambiguity: float
    accuracy: float
    oos_fallback_rate: float
    in_scope_fallback_rate: float


def sweep_fallback(
    report: Report,
    thresholds: Iterable[float],
    ambiguities: Iterable[float] = (0.0,),
    topics: TopicMap | None = None,
) -> list[SweepPoint]:
    """Re-decide the fallback for other thresholds from the recorded rankings."""
    topics = topics or TopicMap.load()
    points = []
    for ambiguity in ambiguities:
        for threshold in thresholds:
            correct = oos = oos_fb = ins = ins_fb = 0
            for expected, ranking in report.rankings:
                top = ranking[0] if ranking else ("", 0.0)
                second = ranking[1][1] if len(ranking) > 1 else 0.0
                fell_back = top[1] < threshold or (top[1] - second) < ambiguity
                predicted = topics.topic_of(
                    top[0], fallback=fell_back or top[0] in FALLBACK_INTENTS
                )
                correct += predicted == expected
                if expected == OUT_OF_SCOPE:
                    oos += 1
                    oos_fb += predicted == OUT_OF_SCOPE
                else:
                    ins += 1
                    ins_fb += predicted == OUT_OF_SCOPE
            points.append(
                SweepPoint(
                    threshold,
                    ambiguity,
                    correct / len(report.rankings),
                    oos_fb / oos if oos else 0.0,
                    ins_fb / ins if ins else 0.0,
                )
            )
    return points
