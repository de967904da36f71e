"""Precision and recall of the scam check on the labelled examples.

A message counts as flagged when rated suspicious or very likely a scam. The sets are reported
apart. Development sets, looked at while writing the rules: tests/data/scam_examples.tsv, and the
three test parts measured once on 2026-11-30 and tuned on since (scam_test.tsv: 0.89 / 0.90;
scam_test_2026b.tsv: 0.93 / 0.96; scam_test_2026c.tsv: 0.94 / 0.94). The frozen test part,
tests/data/frozen/scam_test_2026d.tsv, is never read while writing rules. The test parts are
also scored by kind (paste, description, link, question). Each message is masked first, as every
channel masks it before the check reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.core.privacy import mask_text
from bot.features.scam.check import Risk, check
from bot.settings import PROJECT_ROOT

DATA = PROJECT_ROOT / "tests" / "data"
DEVELOPMENT = DATA / "scam_examples.tsv"
TEST = DATA / "scam_test.tsv"  # measured once, then tuned on
TEST_2026B = DATA / "scam_test_2026b.tsv"  # measured once, then tuned on
TEST_2026C = DATA / "scam_test_2026c.tsv"  # measured once (0.94 / 0.94), then tuned on
# Measured once after round 3 (0.91 / 0.92), then tuned on in round 5.
TEST_2026D = DATA / "frozen" / "scam_test_2026d.tsv"
# Measured once after round 4 (0.93 / 0.89), then tuned on in round 5.
TEST_2026E = DATA / "frozen" / "scam_test_2026e.tsv"
# Written in round 5 by a writer who saw neither rules nor examples, to tune on.
DEV_2026G = DATA / "scam_dev_2026g.tsv"
# Written before round 5 by a writer who saw neither rules nor examples; measured once after
# round 5 (0.946 / 0.933), then tuned on.
TEST_2026F = DATA / "frozen" / "scam_test_2026f.tsv"
# Written after that measurement by another such writer; never read while writing rules;
# measured once.
FROZEN = DATA / "frozen" / "scam_test_2026h.tsv"
# Name, path, and whether its mistakes may be read.
SETS: tuple[tuple[str, Path, bool], ...] = (
    ("development", DEVELOPMENT, True),
    ("test (development now)", TEST, True),
    ("test 2026b (development now)", TEST_2026B, True),
    ("test 2026c (development now)", TEST_2026C, True),
    ("test 2026d (development now)", TEST_2026D, True),
    ("test 2026e (development now)", TEST_2026E, True),
    ("development 2026g", DEV_2026G, True),
    ("test 2026f (development now)", TEST_2026F, True),
    ("test 2026h (frozen)", FROZEN, False),
)


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
