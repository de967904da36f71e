"""Splitting long texts for platforms with a length limit, on sentence boundaries."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?…:])\s+|\n+")


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut after a sentence (or line) when one ends in
    the window, else at a space, else hard."""
    text = text.strip()
    pieces: list[str] = []
    while len(text) > limit:
        window = text[: limit + 1]
        boundaries = [m for m in _SENTENCE_END.finditer(window) if 0 < m.start() <= limit]
        if boundaries and boundaries[-1].start() >= limit // 3:
            cut, resume = boundaries[-1].start(), boundaries[-1].end()
        else:
            space = window.rfind(" ", 0, limit)
            cut, resume = (space, space + 1) if space > limit // 3 else (limit, limit)
        pieces.append(text[:cut].rstrip())
        text = text[resume:].lstrip()
    if text:
        pieces.append(text)
    return pieces
