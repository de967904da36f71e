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


def load_content(directory: Path = CONTENT_DIR) -> Content:
    links = _Links(yaml.safe_load((directory / "links.yml").read_text(encoding="utf-8")) or {})
    raw: dict[str, Any] = yaml.safe_load((directory / "answers.yml").read_text(encoding="utf-8"))
    answers = {}
    for key, entry in (raw or {}).items():
        answers[key] = Answer(
            key=key,
            title=str(entry.get("title") or key),
            messages=tuple(str(m).format_map(links) for m in entry.get("messages") or ()),
            source=str(entry.get("source") or "").format_map(links),
            as_of=str(entry.get("as_of") or ""),
            buttons=tuple(entry.get("buttons") or ()),
        )
    return Content(answers=answers, links=dict(links))


@lru_cache(maxsize=1)
def content() -> Content:
    return load_content()
