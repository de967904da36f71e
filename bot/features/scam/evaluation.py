"""Precision and recall of the scam check on the labelled examples.

A message counts as flagged when rated suspicious or very likely a scam. Two sets: the development
set (tests/data/scam_examples.tsv, looked at while writing the rules) and the frozen test part
(tests/data/scam_test.tsv, written before the rules of issue 16 and never used to write them),
reported apart, the test part also by kind (paste, description, link, question). Each message
is masked first, as every channel masks it before the check reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.core.privacy import mask_text
from bot.features.scam.check import Risk, check
from bot.settings import PROJECT_ROOT

DEVELOPMENT = PROJECT_ROOT / "tests" / "data" / "scam_examples.tsv"
TEST = PROJECT_ROOT / "tests" / "data" / "scam_test.tsv"


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def total(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    def add(self, scam: bool, flagged: bool) -> None:
        if scam and flagged:
            self.tp += 1
        elif scam:
            self.fn += 1
        elif flagged:
            self.fp += 1
        else:
            self.tn += 1


@dataclass(frozen=True)
class Example:
    label: str  # scam | harmless
    text: str
    kind: str  # paste | description | link | question (the development set: "-")


def load(path: Path = DEVELOPMENT) -> list[Example]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, text, *kind = line.split("\t")
        rows.append(Example(label, text, kind[0] if kind else "-"))
    return rows


def evaluate(path: Path = DEVELOPMENT) -> tuple[dict[str, Score], list[tuple[str, str, str]]]:
    """Scores overall and per kind, and the mistakes (label, risk, text)."""
    scores: dict[str, Score] = {"all": Score()}
    mistakes = []
    for example in load(path):
        risk = check(mask_text(example.text)).risk
        flagged, scam = risk is not Risk.LOW, example.label == "scam"
        scores["all"].add(scam, flagged)
        if example.kind != "-":
            scores.setdefault(example.kind, Score()).add(scam, flagged)
        if flagged != scam:
            mistakes.append((example.label, risk.value, example.text))
    return scores, mistakes
