"""The 65 commune-level units of Khánh Hòa since the 2025 reorganisation (content/communes.csv).

Citizens type a unit's name with or without diacritics, with or without "xã"/"phường", or the
name of the former district it was made from; `match` turns that into one unit or a short list to
choose from. The list is data an admin can correct, not code.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.nlu.text import fold
from bot.settings import PROJECT_ROOT

COMMUNES_CSV = PROJECT_ROOT / "content" / "communes.csv"
_PREFIX = re.compile(r"^(?:xa|phuong|dac khu|thi tran|tt|p|x)\.?\s+")
_NOISE = re.compile(r"[^a-z0-9 ]+")


@dataclass(frozen=True)
class Commune:
    name: str  # "Cam Lâm"
    kind: str  # xã | phường | đặc khu
    former_areas: tuple[str, ...]

    @property
    def label(self) -> str:
        """ "Xã Cam Lâm", as it is written on official papers."""
        return f"{self.kind.capitalize()} {self.name}"

    @property
    def key(self) -> str:
        return _key(self.name)


def _key(text: str) -> str:
    folded = _NOISE.sub(" ", fold(text).replace("–", " ").replace("-", " "))
    return " ".join(folded.split())


@lru_cache(maxsize=4)
def load(path: Path = COMMUNES_CSV) -> tuple[Commune, ...]:
    with path.open(encoding="utf-8", newline="") as handle:
        return tuple(
            Commune(
                name=row["name"].strip(),
                kind=row["type"].strip(),
                former_areas=tuple(a.strip() for a in row["former_area"].split("+")),
            )
            for row in csv.DictReader(handle)
        )


def by_key(key: str, path: Path = COMMUNES_CSV) -> Commune | None:
    for commune in load(path):
        if commune.key == key:
            return commune
    return None


def by_name(name: str, path: Path = COMMUNES_CSV) -> Commune | None:
    """The unit stored under `name` ("Cam Lâm"), as written in content/communes.csv."""
    return next((c for c in load(path) if c.name == name), None)


def areas(path: Path = COMMUNES_CSV) -> list[str]:
    """The former district-level areas, in the order they first appear."""
    return list(dict.fromkeys(a for c in load(path) for a in c.former_areas))


@dataclass(frozen=True)
class Match:
    commune: Commune | None  # exactly one unit named
    candidates: tuple[Commune, ...] = ()  # otherwise: units to choose from (may be empty)


def match(text: str, path: Path = COMMUNES_CSV) -> Match:
    """The unit a citizen named: exact name first, then former area, then partial names."""
    query = _PREFIX.sub("", _key(text))
    if not query:
        return Match(None)
    units = load(path)
    named = _named(query, units)
    if named is not None:
        return Match(named)
    in_area = tuple(c for c in units if any(_key(a) == query for a in c.former_areas))
    if in_area:
        return Match(None, in_area)
    words = query.split()
    partial = tuple(c for c in units if all(w in c.key.split() for w in words))
    if len(partial) == 1:
        return Match(partial[0])
    return Match(None, partial)


def _named(query: str, units: tuple[Commune, ...]) -> Commune | None:
    """The one unit whose whole name is the query or stands in it."""
    for commune in units:
        if commune.key == query:
            return commune
    # A unit name inside a longer sentence ("toi o xa cam lam").
    padded = f" {query} "
    named = [c for c in units if f" {c.key} " in padded]
    if len(named) == 1:
        return named[0]
    if named:
        # "bac ninh hoa" also contains "ninh hoa": the longest name wins.
        longest = max(len(c.key) for c in named)
        best = [c for c in named if len(c.key) == longest]
        if len(best) == 1:
            return best[0]
    return None
