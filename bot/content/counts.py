"""Rule "commune-count": counts and lists of units agree with content/communes.csv.

- A former area's units: "Nha Trang (cũ) nay gồm 4 phường", "Ninh Hòa có 3 phường, 5 xã",
  "... gồm các phường: Nha Trang, Bắc Nha Trang, ..." are checked against the units of that kind
  whose `former_area` names the area ("Bắc Nha Trang có ..." is a unit, not the area).
- The province's totals, after "có", "gồm", "còn", "là", ":" or "(": "65 đơn vị (hành chính)
  cấp xã", "65 xã, phường, đặc khu", "64 xã, phường", "48 xã", "16 phường", "1 đặc khu"; and the
  whole in a share ("64/64 xã, phường"). A count followed by more words ("39 xã, phường thiếu
  công chức") is a part, not a total, and counts of old units ("194 xã, phường, thị trấn",
  "8 phường cũ") are not checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.content.text import folded, key, sentences
from bot.core.communes import Commune

RULE = "commune-count"

_WORDS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8}
_WORDS |= {"chin": 9, "muoi": 10}
_NUMBER = r"(\d+|" + "|".join(_WORDS) + r")"
_VERB = r"(?:co|gom|bao gom|con|la|thanh|chia thanh|chia lam)"
# Words that make "Nha Trang" the name of a new unit, not the former area.
_UNIT_BEFORE = r"(?<!bac )(?<!nam )(?<!tay )(?<!dong )(?<!trung )(?<!phuong )(?<!xa )"
_UNIT_AFTER = r"(?! (?:bac|nam|tay|dong)\b)"
_AREA_KINDS = r"(phuong|xa|don vi)"
_PAIR = re.compile(rf"\s*(?:,|va)?\s*{_NUMBER} {_AREA_KINDS}\b(?! cu\b)")
_LIST = re.compile(rf"\s*(?:cac |nhung )?{_AREA_KINDS}\s*:\s*([^.;(\n?]+)")
_LIST_AFTER_COUNT = re.compile(r"\s*:\s*([^.;(\n?]+)")
# People still call the former city by its first half.
_AREA_ALIASES = {"phan rang": "phan rang thap cham"}
_DASH = re.compile(r"\s*[–—]\s*|(?<=[a-z])\s*-\s*(?=[a-z])")
_NATIONWIDE = re.compile(r"\b(?:ca nuoc|toan quoc|viet nam)\b")
_KIND_NAMES = {
    "xa": "xã",
    "phuong": "phường",
    "dac khu": "đặc khu",
    "don vi": "đơn vị",
    "xa+phuong": "xã, phường",
    "all": "đơn vị cấp xã",
}
_TOTAL_KINDS = (
    ("xa, phuong, dac khu", "all"),
    ("xa, phuong va dac khu", "all"),
    ("don vi hanh chinh cap xa", "all"),
    ("don vi cap xa", "all"),
    ("xa, phuong", "xa+phuong"),
    ("dac khu", "dac khu"),
    ("phuong", "phuong"),
    ("xa", "xa"),
)
_TOTAL = re.compile(
    rf"(?<![\d/.,])\b{_NUMBER}(?:/(\d+))? ("
    + "|".join(re.escape(k) for k, _ in _TOTAL_KINDS)
    + r")(?=\s*(?:[,.:;()?!]|va\b|$))(?!\s*,?\s*(?:phuong|dac khu|thi tran)\b)"
)
_TOTAL_LEAD = re.compile(rf"(?:\b{_VERB}|[:(]|\b(?:tong cong|tat ca))\s*$")
_CHAINED = re.compile(r"\s*(?:,|va)\s*")


@dataclass(frozen=True)
class Units:
    """content/communes.csv as the rule needs it: units by kind, and by former area and kind."""

    by_kind: dict[str, set[str]]
    by_area: dict[str, dict[str, set[str]]]
    spelled: dict[str, str]  # folded key -> the name as written in the csv

    @classmethod
    def of(cls, communes: Iterable[Commune]) -> Units:
        by_kind: dict[str, set[str]] = {}
        by_area: dict[str, dict[str, set[str]]] = {}
        spelled = dict(_KIND_NAMES)
        for commune in communes:
            kind, name = key(commune.kind), key(commune.name)
            by_kind.setdefault(kind, set()).add(name)
            spelled[name] = commune.name
            for area in commune.former_areas:
                by_area.setdefault(key(area), {}).setdefault(kind, set()).add(name)
                spelled.setdefault(key(area), area)
        return cls(by_kind, by_area, spelled)

    def spell(self, *keys: str) -> str:
        return ", ".join(self.spelled.get(k, k) for k in keys)

    def total(self, kind: str) -> int:
        if kind == "all":
            return sum(len(names) for names in self.by_kind.values())
        return sum(len(self.by_kind.get(part, ())) for part in kind.split("+"))

    def in_area(self, area: str, kind: str) -> set[str]:
        kinds = self.by_area.get(area, {})
        if kind == "don vi":
            return set().union(*kinds.values()) if kinds else set()
        return kinds.get(kind, set())


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _WORDS[word]


def _names(listed: str) -> set[str]:
    parts = re.split(r",|\bva\b", listed)
    return {key(part) for part in parts if key(part)}


def _area_pattern(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"{_UNIT_BEFORE}\b{re.escape(name)}\b{_UNIT_AFTER}[^.;:\d]{{0,40}}?\b{_VERB}\b"
    )


def _list_problem(area: str, kind: str, listed: str, units: Units) -> str | None:
    said, actual = _names(listed), units.in_area(area, kind)
    if len(said) < 2 or said == actual:
        return None
    return (
        f"lists as the {units.spell(kind)} of {units.spell(area)}: {units.spell(*sorted(said))};"
        f" communes.csv has {units.spell(*sorted(actual))}"
    )


def _read_area_claim(
    text: str, position: int, area: str, units: Units, spans: list[tuple[int, int]]
) -> list[str]:
    """What follows "<area> ... gồm": counts ("4 phường, 5 xã"), then maybe a list of names."""
    found = []
    kind = ""
    while (pair := _PAIR.match(text, position)) is not None:
        said, kind = _number(pair.group(1)), pair.group(2)
        actual = len(units.in_area(area, kind))
        if said != actual:
            found.append(
                f"says {units.spell(area)} has {said} {units.spell(kind)}, "
                f"communes.csv has {actual}"
            )
        spans.append(pair.span())
        position = pair.end()
    if kind:
        listed = _LIST_AFTER_COUNT.match(text, position)
        problem = listed and _list_problem(area, kind, listed.group(1), units)
    else:
        listed = _LIST.match(text, position)
        problem = listed and _list_problem(area, listed.group(1), listed.group(2), units)
    return [*found, problem] if problem else found


def _area_claims(text: str, units: Units) -> tuple[list[str], list[tuple[int, int]]]:
    """Problems with what the sentence says of a former area, and the spans it has read."""
    found: list[str] = []
    spans: list[tuple[int, int]] = []
    names = {area: area for area in units.by_area} | _AREA_ALIASES
    for name, area in names.items():
        for match in _area_pattern(name).finditer(text):
            found += _read_area_claim(text, match.end(), area, units, spans)
    return found, spans


def _total_claims(text: str, units: Units, taken: list[tuple[int, int]]) -> list[str]:
    found: list[str] = []
    kinds = dict(_TOTAL_KINDS)
    previous_end = -1
    for match in _TOTAL.finditer(text):
        if any(start <= match.start() < end for start, end in taken):
            continue
        before = text[: match.start()]
        chained = previous_end >= 0 and _CHAINED.fullmatch(text[previous_end : match.start()])
        if not (_TOTAL_LEAD.search(before) or chained):
            continue
        previous_end = match.end()
        kind = kinds[match.group(3)]
        said = int(match.group(2)) if match.group(2) else _number(match.group(1))
        accepted = {units.total(kind)}
        if match.group(2) and kind in {"xa", "phuong"}:
            accepted |= {units.total("xa+phuong"), units.total("all")}  # "59/64 xã": any level
        if said not in accepted:
            found.append(
                f"says the province has {said} {units.spell(kind)}, communes.csv has "
                f"{units.total(kind)}"
            )
    return found


def problems(text: str, communes: Iterable[Commune]) -> list[str]:
    units = Units.of(communes)
    found = []
    for sentence in sentences(text):
        plain = _DASH.sub(" ", folded(sentence))
        area_problems, taken = _area_claims(plain, units)
        if _NATIONWIDE.search(plain):
            taken = [(0, len(plain))]  # the country's counts are not the province's
        for problem in area_problems + _total_claims(plain, units, taken):
            found.append(f"{problem}: {sentence!r}")
    return found
