"""Rule "place-name": a place named as a current unit must be one of the 65 of
content/communes.csv, with its own kind ("phường Vĩnh Hải" is wrong: Vĩnh Hải is a xã).

A name is the capitalised words after "xã", "phường" or "đặc khu", compared folded. "huyện",
"quận", "thị xã", "thị trấn" and a former city ("thành phố Nha Trang") no longer exist since
1/7/2025. Any of these is fine when the text marks it as old: "cũ", "(cũ)", "trước đây", "trước
(1/)7/2025", "trước sắp xếp" in the sentence before it, or after it in its clause "cũ", "trước
đây", "nay thuộc", "nay là", "giờ là", "không còn", "(sáp) nhập vào".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.content.text import key, sentences
from bot.core.communes import Commune

RULE = "place-name"

_UNIT = re.compile(
    r"(?<!\w)(thị xã|thị trấn|thành phố|đặc khu|xã|phường|huyện|quận)(?!\w)", re.IGNORECASE
)
_CURRENT = {"xã", "phường", "đặc khu"}
_GONE = {"thị xã", "thị trấn", "huyện", "quận"}
# A word of a name: letters and dashes ("Rang–Tháp"); punctuation after it ends the name.
_WORD = re.compile(r" ([^\W\d_][\w–-]*)([,.;:!?()\"“”/]?)")
_MAX_WORDS = 5
# Read with diacritics: folded, "cũ" (old) would also be "cư" (as in "dân cư") or "cụ".
_OLD = r"cũ|trước đây|trước (?:\d{1,2}/)?\d{1,2}/2025|trước (?:khi )?sắp xếp"
_OLD_BEFORE = re.compile(rf"(?<!\w)(?:{_OLD})(?!\w)")
_OLD_AFTER = re.compile(
    rf"^[^;.]*?(?<!\w)(?:{_OLD}|nay thuộc|nay là|nay nằm|giờ là|giờ thuộc|không còn"
    r"|(?:sáp )?nhập vào|đã nhập)(?!\w)"
)


def _name_after(text: str, start: int) -> tuple[str, int]:
    """The capitalised words from `start` on ("" when a lower-case word comes first), and where
    they end."""
    words: list[str] = []
    position = start
    while len(words) < _MAX_WORDS:
        match = _WORD.match(text, position)
        if match is None or not match.group(1)[0].isupper():
            break
        words.append(match.group(1))
        position = match.end()
        if match.group(2):
            break
    return " ".join(words), position


def _marked_old(sentence: str, start: int, end: int) -> bool:
    lowered = sentence.lower()
    return bool(_OLD_BEFORE.search(lowered[:start]) or _OLD_AFTER.match(lowered[end:]))


def _wrong(kind: str, name: str, units: dict[str, set[str]], areas: set[str]) -> str | None:
    """Why "<kind> <name>" is not a current unit, or None when it is one."""
    kind = kind.lower()
    if kind in _CURRENT:
        kinds = units.get(key(name), set())
        if kind in kinds:
            return None
        if kinds:
            return f"{name} is a {' / '.join(sorted(kinds))}, not a {kind}"
        return f"{name} is not one of the 65 units of content/communes.csv"
    if kind in _GONE:
        return f"there is no {kind} level since 1/7/2025"
    if kind == "thành phố" and key(name) in areas:
        return "the former city is no longer a unit since 1/7/2025"
    return None


def problems(text: str, communes: Iterable[Commune]) -> list[str]:
    units: dict[str, set[str]] = {}
    areas: set[str] = set()
    for commune in communes:
        units.setdefault(key(commune.name), set()).add(commune.kind)
        areas.update(key(area) for area in commune.former_areas)
    found = []
    for sentence in sentences(text):
        for match in _UNIT.finditer(sentence):
            name, end = _name_after(sentence, match.end())
            if not name:
                continue
            why = _wrong(match.group(1), name, units, areas)
            if why and not _marked_old(sentence, match.start(), end):
                found.append(
                    f"“{match.group(1)} {name}” is named as a current unit, but {why} "
                    f"(write the new unit, or mark the old name with “(cũ)”): {sentence!r}"
                )
    return found
