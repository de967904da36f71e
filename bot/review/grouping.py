"""Similar questions in one group: character n-grams (2-4, inside word bounds) TF-IDF over the
text as the NLU reads it (folded, teencode expanded), and star clustering at a cosine threshold.

The most central distinct text (the one with the most similar messages) leads its group and
names it: the group key is a short hash of its reading, so the same messages give the same key
on the page and in the form posted from it.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.nlu.retrieval import reading
from bot.nlu.text import folded_words, has_diacritics

# Tuned on made-up questions (tests/review/test_grouping.py): the same question with or without
# diacritics, in teencode or reworded ("Làm sao cài VNeID?" / "em k cai duoc app vneid") scores
# 0.5-1; different questions sharing a word ("đăng ký khai sinh online" / "mở tài khoản ngân
# hàng online", "cài VNeID" / "quên mật khẩu VNeID") 0.3-0.42.
THRESHOLD = 0.45
EXAMPLES = 5
# Rows compared at once: a 500 x n block of similarities stays a few megabytes.
_BLOCK = 500
# The masking tags (bot/core/privacy.py): a phone number is not what a question is about.
_TAG = re.compile(r"\[[^\[\]]{1,30}\]")
_BRACKETS = re.compile(r"[\[\]{}]")
# How a question is asked, not what about (folded, teencode already expanded): left out, or
# "thế nào" / "ở đâu" alone would join unrelated questions.
_ASKING = frozenset(
    "a ad admin ah ak oi ạ vay va nhe nha voi giup hoi cho em anh chi minh toi ban co khong "
    "duoc the nao nhu sao lam gi la ai dau o khi nao bao gio cach muon phai thi ma nhi".split()
)


@dataclass(frozen=True)
class Item:
    message_id: int
    text: str  # masked
    created_at: datetime
    reason: str  # fallback | low_confidence | clarify | thumbs_down


@dataclass
class Group:
    key: str
    items: list[Item] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def message_ids(self) -> list[int]:
        return [i.message_id for i in self.items]

    def weeks(self) -> list[tuple[str, int]]:
        """Messages per ISO week ("2026-W48"), oldest first."""
        found = Counter(_week(i.created_at) for i in self.items)
        return sorted(found.items())

    def reasons(self) -> list[tuple[str, int]]:
        return Counter(i.reason for i in self.items).most_common()

    def examples(self, limit: int = EXAMPLES) -> list[str]:
        """Up to `limit` texts distinct once folded, the most frequent first (the leader's
        text first of all)."""
        seen: dict[str, str] = {}
        counts: Counter[str] = Counter()
        for item in self.items:
            folded = folded_words(item.text, punctuation=True)
            # Shown with its diacritics if anyone wrote them.
            if folded not in seen or (
                has_diacritics(item.text) and not has_diacritics(seen[folded])
            ):
                seen[folded] = item.text
            counts[folded] += 1
        leader = folded_words(self.items[0].text, punctuation=True) if self.items else ""
        order = sorted(counts, key=lambda f: (f != leader, -counts[f], f))
        return [seen[f] for f in order[:limit]]

    def last_at(self) -> datetime:
        return max(i.created_at for i in self.items)


def _week(when: datetime) -> str:
    year, week, _ = when.isocalendar()
    return f"{year}-W{week:02d}"


def similarity_text(text: str) -> str:
    """`text` as groups compare it: masking tags left out, read as the NLU reads it."""
    words = reading(_TAG.sub(" ", text)).split()
    kept = [w for w in words if w not in _ASKING]
    return " ".join(kept or words)


def training_text(masked: str) -> str:
    """A masked text as a plain training example: tags become their words ("[số điện thoại]"
    -> "số điện thoại"), no brackets or braces (Rasa reads them as entity marks), one line."""
    plain = _TAG.sub(lambda m: f" {m.group(0)[1:-1]} ", masked)
    return " ".join(_BRACKETS.sub(" ", plain).split())[:300]


def group_key(read: str) -> str:
    return hashlib.sha256(read.encode("utf-8")).hexdigest()[:12]


def group(items: Sequence[Item], threshold: float = THRESHOLD) -> list[Group]:
    """`items` in groups, the biggest first (then the most recent)."""
    by_read: dict[str, list[Item]] = {}
    for item in items:
        read = similarity_text(item.text)
        if read:
            by_read.setdefault(read, []).append(item)
    reads = sorted(by_read)
    if not reads:
        return []
    weight = np.array([len(by_read[r]) for r in reads], dtype=np.float32)
    neighbours = _neighbours(reads, threshold)
    # Centrality: how many messages are similar to this text (its own included).
    degree = [float(weight[n].sum()) for n in neighbours]
    order = sorted(range(len(reads)), key=lambda i: (-degree[i], -weight[i], reads[i]))
    taken = np.zeros(len(reads), dtype=bool)
    groups: list[Group] = []
    for leader in order:
        if taken[leader]:
            continue
        members = [j for j in neighbours[leader] if not taken[j]]
        taken[members] = True
        found = Group(group_key(reads[leader]))
        # The leader's messages first: its text is the group's first example.
        for j in sorted(members, key=lambda j: (j != leader, -weight[j], reads[j])):
            found.items.extend(sorted(by_read[reads[j]], key=lambda i: i.created_at))
        groups.append(found)
    groups.sort(key=lambda g: (-g.count, -g.last_at().timestamp(), g.key))
    return groups


def _neighbours(reads: list[str], threshold: float) -> list[np.ndarray]:
    """For each text, the indexes of the texts at least `threshold` similar (itself included)."""
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, dtype=np.float32
    )
    matrix = vectorizer.fit_transform(reads)
    transposed = matrix.T.tocsr()
    found: list[np.ndarray] = []
    for start in range(0, len(reads), _BLOCK):
        block = (matrix[start : start + _BLOCK] @ transposed).toarray()
        for offset, row in enumerate(block):
            near = np.flatnonzero(row >= threshold)
            found.append(near if near.size else np.array([start + offset]))
    return found
