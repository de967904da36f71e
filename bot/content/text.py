"""Sentences and folded keys shared by the content rules."""

from __future__ import annotations

import re

from bot.core.communes import name_key as key
from bot.nlu.text import fold, normalize

__all__ = ["folded", "key", "sentences"]

# A sentence ends at ". " (not inside "8.555,86"), a line break or a bullet.
_BREAK = re.compile(r"(?<=[.!?])\s+|\n+|•")


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _BREAK.split(normalize(text)) if part.strip()]


def folded(text: str) -> str:
    """A sentence folded, dashes between years kept ("2021-2025"), spaces collapsed."""
    return " ".join(fold(text).split())
