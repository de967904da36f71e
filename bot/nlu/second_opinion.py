"""Answer, ask back or admit: the classifier's ranking checked against the retrieval's.

A confident classifier answers. Otherwise the nearest examples (bot/nlu/retrieval.py) decide:
when they point to the classifier's topic, it answers; when neither is sure, or they point to
different topics, the citizen is asked which of the likeliest topics they meant, rather than
given a wrong answer; when neither finds anything near, the "chưa hiểu" answer.
Thresholds are tuned on the development sets, never on the frozen test set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from bot.engine.topics import OUT_OF_SCOPE, TopicMap
from bot.nlu.retrieval import Neighbour

FALLBACK = "nlu_fallback"
# Intents never offered as a choice: the fallback itself, and talk that is no question.
_NOT_CHOICES = frozenset(
    {
        FALLBACK, "out_of_scope", "affirm", "deny", "greet", "goodbye", "thank",
        "feedback_positive", "feedback_negative",
    }
)  # fmt: skip


class Kind(Enum):
    ANSWER = "answer"
    CLARIFY = "clarify"
    FALLBACK = "fallback"


@dataclass(frozen=True)
class Thresholds:
    # The classifier alone is trusted above this confidence.
    sure: float = 0.6
    # Below this the classifier's guess is only a candidate.
    plausible: float = 0.4
    # A retrieval score from which the nearest example counts as a real neighbour.
    near: float = 0.5
    # Below both this retrieval score and `plausible`, nothing was understood.
    far: float = 0.25
    # A near example alone never rescues a classifier below this (short vague messages share
    # many grams with some example).
    floor: float = 0.25


# Swept on the development sets (`python -m benchmarks.second_opinion_sweep`: the old held-out
# set, the 2026 and 2026b sets, 1,150 questions) on 2026-11-30, round 4: a classifier below 0.9
# whose reading the nearest examples do not share asks back. Answered right or asked back with the
# right topic 0.949 against 0.942 at 0.6, wrong answers 1.7% against 3.2%, asked back 7.7%
# against 4.5% (the classifier alone: 0.921 right). The floor keeps a vague message ("cái đó làm
# sao") from being answered on its grams alone.
TUNED = Thresholds(sure=0.9, near=0.6)


@dataclass(frozen=True)
class Decision:
    kind: Kind
    intent: str | None = None  # what to answer (ANSWER)
    choices: tuple[str, ...] = ()  # intents offered as buttons (CLARIFY), likeliest first
    confidence: float = 0.0  # the classifier's, for the records


def ranking_of(parse: dict[str, Any]) -> list[tuple[str, float]]:
    """The classifier's (intent, confidence), best first, without the fallback entry."""
    ranked = [
        (str(r.get("name")), float(r.get("confidence") or 0.0))
        for r in parse.get("intent_ranking") or []
        if r.get("name") and r.get("name") != FALLBACK
    ]
    if not ranked:
        intent = parse.get("intent") or {}
        if intent.get("name") and intent["name"] != FALLBACK:
            ranked = [(str(intent["name"]), float(intent.get("confidence") or 0.0))]
    return sorted(ranked, key=lambda pair: -pair[1])


def sure_alone(ranking: Sequence[tuple[str, float]], limits: Thresholds = TUNED) -> bool:
    """Whether the classifier answers alone: the nearest examples need not be looked up."""
    return bool(ranking) and ranking[0][1] >= limits.sure


def decide(
    ranking: Sequence[tuple[str, float]],
    neighbours: Sequence[Neighbour],
    topics: TopicMap,
    limits: Thresholds = TUNED,
    offerable: frozenset[str] | None = None,
) -> Decision:
    """What to do with a message the classifier ranked as `ranking` and the retrieval found
    `neighbours` for. `offerable`: the intents that have a button (None: all)."""
    if not ranking:
        return Decision(Kind.FALLBACK)
    intent, confidence = ranking[0]
    topic = topics.topic_of(intent)
    near = neighbours[0] if neighbours else Neighbour(FALLBACK, 0.0)
    near_topic = topics.topic_of(near.intent)
    if sure_alone(ranking, limits):
        return Decision(Kind.ANSWER, intent, confidence=confidence)
    agree = near_topic == topic
    backed = near.score >= limits.near and confidence >= limits.floor
    if agree and (confidence >= limits.plausible or backed):
        return Decision(Kind.ANSWER, intent, confidence=confidence)
    if confidence < limits.plausible and near.score < limits.far:
        return Decision(Kind.FALLBACK, confidence=confidence)
    if topic == OUT_OF_SCOPE and near_topic == OUT_OF_SCOPE:
        return Decision(Kind.ANSWER, intent, confidence=confidence)
    choices = _choices(ranking, neighbours, topics, offerable)
    if len(choices) < 2:
        # Nothing to choose between: the likelier reading answers, or nothing does.
        if choices:
            return Decision(Kind.ANSWER, choices[0], confidence=confidence)
        return Decision(Kind.FALLBACK, confidence=confidence)
    return Decision(Kind.CLARIFY, choices=choices, confidence=confidence)


def _choices(
    ranking: Sequence[tuple[str, float]],
    neighbours: Sequence[Neighbour],
    topics: TopicMap,
    offerable: frozenset[str] | None,
    count: int = 3,
) -> tuple[str, ...]:
    """Up to `count` intents of different topics, alternating the two opinions, best first."""
    first = [i for i, _ in ranking[:3]]
    second = [n.intent for n in neighbours[:3]]
    merged = [i for pair in zip(first, second, strict=False) for i in pair] + first + second
    chosen: list[str] = []
    seen_topics: set[str] = set()
    for intent in merged:
        topic = topics.topic_of(intent)
        if intent in _NOT_CHOICES or topic == OUT_OF_SCOPE or topic in seen_topics:
            continue
        if offerable is not None and intent not in offerable:
            continue
        chosen.append(intent)
        seen_topics.add(topic)
        if len(chosen) == count:
            break
    return tuple(chosen)
