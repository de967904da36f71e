"""Sentences and folded keys shared by the content rules."""

from __future__ import annotations

import re

from bot.nlu.text import fold, normalize

# A sentence ends at ". " (not inside "8.555,86"), a line break or a bullet.
_BREAK = re.compile(r"(?<=[.!?])\s+|\n+|•")
_DASHES = re.compile(r"[-–—]")
_NOISE = re.compile(r"[^a-z0-9 ]+")


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _BREAK.split(normalize(text)) if part.strip()]


def key(name: str) -> str:
    """A place name folded for comparison: "Phan Rang–Tháp Chàm" -> "phan rang thap cham"."""
    return " ".join(_NOISE.sub(" ", _DASHES.sub(" ", fold(name))).split())


def folded(text: str) -> str:
    """A sentence folded, dashes between years kept ("2021-2025"), spaces collapsed."""
    return " ".join(fold(text).split())
