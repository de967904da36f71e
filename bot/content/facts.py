"""The facts of the content files: each answer of content/answers.yml and each question of
content/quiz.yml, with its source, the day it was true (`as_of`) and the day to check it again
(`review_by`), both YYYY-MM-DD. Entries marked `factual: false` (greetings, menus) state no fact.

Read from the YAML itself, not through actions/content.py, so that the dates and the `factual`
flag are seen exactly as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.settings import PROJECT_ROOT

CONTENT_DIR = PROJECT_ROOT / "content"
ANSWERS = "answers.yml"
QUIZ = "quiz.yml"
LETTERS = "ABCD"
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# "bao nhiêu" / "mấy" answered by a bare number, "những phường nào" by a list of names.
_HOW_MANY = re.compile(r"\b(?:bao nhiêu|mấy)\b", re.IGNORECASE)
_WHICH_UNITS = re.compile(r"\b(?:những|các)\s+(phường|xã)\s+nào\b", re.IGNORECASE)
_NUMBER = re.compile(r"^\s*\d+\s*$")


@dataclass(frozen=True)
class Fact:
    file: str  # answers.yml | quiz.yml
    key: str  # the answer's intent or the question's id
    title: str
    texts: tuple[str, ...]  # what a citizen reads (a quiz question read with its right answer)
    source: str
    as_of: str
    review_by: str
    factual: bool

    @property
    def label(self) -> str:
        return f"{self.file} {self.key}"

    @property
    def as_of_day(self) -> date | None:
        return parse_day(self.as_of)

    @property
    def review_day(self) -> date | None:
        return parse_day(self.review_by)


def parse_day(value: str) -> date | None:
    """A YYYY-MM-DD day, or None for anything else ("2025", "7/2025", "")."""
    if not _DAY.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _text(value: Any) -> str:
    # YAML reads an unquoted 2026-01-15 as a date: str() gives it back as written.
    return "" if value is None else str(value).strip()


def _read(path: Path) -> Any:
    if not path.exists():
        return None
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _answer(key: str, entry: dict[str, Any]) -> Fact:
    return Fact(
        file=ANSWERS,
        key=key,
        title=_text(entry.get("title")) or key,
        texts=tuple(_text(m) for m in entry.get("messages") or ()),
        source=_text(entry.get("source")),
        as_of=_text(entry.get("as_of")),
        review_by=_text(entry.get("review_by")),
        factual=entry.get("factual", True) is not False,
    )


def quiz_statement(question: str, right: str) -> str:
    """The question read with its right option in the blank, so that "có bao nhiêu phường" with
    "4" is checked as "có 4 phường"; the question unchanged when it has no such blank."""
    if _NUMBER.match(right) and _HOW_MANY.search(question):
        return _HOW_MANY.sub(right.strip(), question, count=1)
    return _WHICH_UNITS.sub(lambda m: f"các {m.group(1)}: {right.strip()}", question, count=1)


def _question(entry: dict[str, Any]) -> Fact:
    question = _text(entry.get("q"))
    options = [_text(o) for o in entry.get("options") or ()]
    letter = _text(entry.get("answer")).upper()
    index = LETTERS.find(letter) if len(letter) == 1 else -1
    right = options[index] if 0 <= index < len(options) else ""
    return Fact(
        file=QUIZ,
        key=_text(entry.get("id")),
        title=question,
        texts=(quiz_statement(question, right), right, _text(entry.get("why"))),
        source=_text(entry.get("source")),
        as_of=_text(entry.get("as_of")),
        review_by=_text(entry.get("review_by")),
        factual=entry.get("factual", True) is not False,
    )


def load_facts(directory: Path = CONTENT_DIR) -> list[Fact]:
    """Every answer, then every quiz question; a missing file has none."""
    answers = _read(directory / ANSWERS) or {}
    quiz = _read(directory / QUIZ) or {}
    facts = [_answer(str(key), entry or {}) for key, entry in answers.items()]
    facts += [_question(entry or {}) for entry in quiz.get("questions") or ()]
    return facts
