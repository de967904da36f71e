"""Precision and recall of the scam check on the labelled examples (tests/data/scam_examples.tsv).

A message counts as flagged when rated suspicious or very likely a scam. The file's second
batch was written after the rules were tuned on the first and is reported separately.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.features.scam.check import Risk, check
from bot.settings import PROJECT_ROOT

EXAMPLES = PROJECT_ROOT / "tests" / "data" / "scam_examples.tsv"


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


def load(path: Path = EXAMPLES) -> list[tuple[int, str, str]]:
    """(batch, label, text) for every example."""
    batch, rows = 1, []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# batch 2"):
            batch = 2
        if not line.strip() or line.startswith("#"):
            continue
        label, text = line.split("\t", 1)
        rows.append((batch, label, text))
    return rows


def evaluate(path: Path = EXAMPLES) -> tuple[dict[str, Score], list[tuple[str, str, str]]]:
    """Scores overall and per batch, and the mistakes (label, risk, text)."""
    scores = {"all": Score(), "batch 1": Score(), "batch 2": Score()}
    mistakes = []
    for batch, label, text in load(path):
        risk = check(text).risk
        flagged = risk is not Risk.LOW
        scam = label == "scam"
        for key in ("all", f"batch {batch}"):
            s = scores[key]
            if scam and flagged:
                s.tp += 1
            elif scam:
                s.fn += 1
            elif flagged:
                s.fp += 1
            else:
                s.tn += 1
        if flagged != scam:
            mistakes.append((label, risk.value, text))
    return scores, mistakes
