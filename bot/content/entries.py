"""An answer as an admin edits it: the fields of one entry of content/answers.yml, before its
{name}s are filled from links.yml. The file is version 0 of every answer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actions.content import CONTENT_DIR, load_entries
from bot.content.facts import ANSWERS, Fact


@dataclass(frozen=True)
class Entry:
    intent: str
    title: str
    messages: tuple[str, ...]
    buttons: tuple[str, ...] = ()
    source: str = ""
    as_of: str = ""
    review_by: str = ""
    factual: bool = True

    def as_yaml(self) -> dict[str, Any]:
        """The entry as answers.yml writes it (what actions/content.py builds answers from)."""
        return {
            "title": self.title,
            "messages": list(self.messages),
            "buttons": list(self.buttons),
            "source": self.source,
            "as_of": self.as_of,
            "review_by": self.review_by,
            "factual": self.factual,
        }


def _text(value: Any) -> str:
    # YAML reads an unquoted 2026-01-15 as a date: str() gives it back as written.
    return "" if value is None else str(value).strip()


def from_yaml(intent: str, entry: dict[str, Any]) -> Entry:
    return Entry(
        intent=intent,
        title=_text(entry.get("title")) or intent,
        messages=tuple(_text(m) for m in entry.get("messages") or ()),
        buttons=tuple(_text(b) for b in entry.get("buttons") or ()),
        source=_text(entry.get("source")),
        as_of=_text(entry.get("as_of")),
        review_by=_text(entry.get("review_by")),
        factual=entry.get("factual", True) is not False,
    )


def baseline(directory: Path = CONTENT_DIR) -> dict[str, Entry]:
    """Every answer of answers.yml, in the file's order."""
    return {str(k): from_yaml(str(k), v or {}) for k, v in load_entries(directory).items()}


def as_fact(entry: Entry) -> Fact:
    """The answer as the review list reads it (bot/content/review.py)."""
    return Fact(
        file=ANSWERS,
        key=entry.intent,
        title=entry.title,
        texts=entry.messages,
        source=entry.source,
        as_of=entry.as_of,
        review_by=entry.review_by,
        factual=entry.factual,
    )
