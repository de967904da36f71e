"""The answer content: `content/answers.yml` rendered with `content/links.yml`."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"


class _Links(dict[str, str]):
    def __missing__(self, key: str) -> str:
        raise KeyError(f"answers.yml refers to {{{key}}}, which links.yml does not define")


@dataclass(frozen=True)
class Answer:
    key: str
    title: str
    messages: tuple[str, ...]
    source: str = ""
    as_of: str = ""
    buttons: tuple[str, ...] = field(default_factory=tuple)


def vietnamese_date(value: str) -> str:
    """2025-07-01 -> 1/7/2025, as Vietnamese readers write dates; other forms stay as written."""
    parts = value.split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        year, month, day = (int(p) for p in parts)
        return f"{day}/{month}/{year}"
    return value


@dataclass(frozen=True)
class Content:
    answers: dict[str, Answer]
    links: dict[str, str]

    def get(self, key: str | None) -> Answer | None:
        return self.answers.get(key or "")

    def button(self, key: str) -> dict[str, str] | None:
        answer = self.answers.get(key)
        if answer is None:
            return None
        return {"title": answer.title, "payload": f"/{key}"}

    def source_line(self, answer: Answer) -> str:
        if not answer.source:
            return ""
        line = f"Nguồn: {answer.source}"
        if answer.as_of:
            line += f" (thông tin tính đến {vietnamese_date(answer.as_of)})"
        return line


def load_links(directory: Path = CONTENT_DIR) -> dict[str, str]:
    return dict(yaml.safe_load((directory / "links.yml").read_text(encoding="utf-8")) or {})


def load_entries(directory: Path = CONTENT_DIR) -> dict[str, Any]:
    """answers.yml as written: intent -> its entry (title, messages, source, ...)."""
    raw = yaml.safe_load((directory / "answers.yml").read_text(encoding="utf-8"))
    return dict(raw or {})


def build_content(entries: dict[str, Any], links: dict[str, str]) -> Content:
    """The answers of `entries` (as in answers.yml) with their {name}s filled from `links`."""
    known = _Links(links)
    answers = {}
    for key, entry in entries.items():
        answers[key] = Answer(
            key=key,
            title=str(entry.get("title") or key),
            messages=tuple(str(m).format_map(known) for m in entry.get("messages") or ()),
            source=str(entry.get("source") or "").format_map(known),
            as_of=str(entry.get("as_of") or ""),
            buttons=tuple(entry.get("buttons") or ()),
        )
    return Content(answers=answers, links=dict(links))


def load_content(directory: Path = CONTENT_DIR) -> Content:
    return build_content(load_entries(directory), load_links(directory))


# Answers edited in the browser over the files' (bot/content/live.py), or None: the files alone.
_edited: Content | None = None


def install(edited: Content | None) -> None:
    global _edited
    _edited = edited


def content() -> Content:
    return _edited or baseline()


@lru_cache(maxsize=1)
def baseline() -> Content:
    return load_content()
