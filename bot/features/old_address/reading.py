"""What a message asks about a place, if it clearly asks: where an old unit went, or where a
unit's one-stop office is. Anything else is left to the NLU.

A question is taken only with a place's name in it AND a cue. The names are many and some are
everyday words ("Tân Tiến", "mà nói" folds to "Ma Nới"), so a name typed with other diacritics
does not count, and a cue that is not about units ("nay", "giờ", "còn không") needs the kind
written before the name ("phường Vĩnh Hải"), "cũ" after it, or the name opening the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core import communes
from bot.core.communes import Hit, Place

# Cues that by themselves ask about administrative units.
_UNIT = re.compile(
    r" (?:sap nhap|sat nhap|nhap vao|nhap voi|nhap ve|doi ten|ten moi|chia ve|chia thanh"
    r"|(?:phuong|xa|don vi|dac khu) nao|la (?:xa|phuong) gi|(?:xa|phuong) gi|thuoc (?:xa|phuong)"
    r"|(?:xa|phuong) moi|cap huyen) "
)
# Cues that ask about something's fate, a unit's or anything else's.
_FATE = re.compile(
    r" (?:con khong|con ko|con k|con hay khong|con nua khong|khong con|truoc day|thuoc dau"
    r"|ve dau|(?:nay|gio|bay gio|hien nay|hien tai) (?:la|thuoc|o)) "
)
# Words of time and belonging, in questions of any kind.
_TIME = re.compile(r" (?:nay|gio|bay gio|hien nay|hien tai|thuoc|o dau) ")
# Cues that a message asks for a unit's one-stop office, or where to hand in papers now
# ("trước ở huyện Diên Khánh, giờ nộp hồ sơ ở đâu"): the office answer says where.
_OFFICE = re.compile(
    r" (?:mot cua|ubnd|uy ban|tru so|dia chi|hanh chinh cong|tiep nhan ho so|bo phan tiep nhan"
    r"|nop (?:\w+ ){0,3}o dau|nop (?:ho so|hs)|lam (?:thu tuc|ho so|giay to)) "
)
# Longer messages are not such questions (a pasted notice "UBND phường ... thông báo ..." is
# for the NLU and the scam check).
MAX_WORDS = 20
# "cũ" right after the name: "phường Vĩnh Hải cũ".
_OLD = "cu"
# Words that may come before a name that opens a question: "cho mình hỏi Cam Đức...".
_LEAD_IN = {
    "cho", "minh", "em", "toi", "hoi", "xin", "ad", "admin", "oi", "a", "ban", "vay", "the",
    "con", "chau", "anh", "chi", "ho", "giup", "voi", "la", "o",
}  # fmt: skip


@dataclass(frozen=True)
class Asked:
    what: str  # "where" | "office"
    # Each name asked about, with the places it means (old ones only for "where").
    named: tuple[tuple[Hit, tuple[Place, ...]], ...]


def read(text: str) -> Asked | None:
    """What `text` asks about a place, or None if it does not clearly ask about one."""
    folded, _ = communes.words(text)
    if len(folded) > MAX_WORDS:
        return None
    cues = _Cues.of(folded)
    if not cues.any:
        return None  # most messages end here, before any name is looked for
    hits = [h for h in communes.find(text) if h.faithful]
    named = communes.in_context(hits)
    if cues.office and named:
        return Asked("office", tuple(named))
    asked = tuple(
        (hit, olds)
        for hit, places in named
        if (olds := _olds(hit, places)) and _asks_where(hit, places, folded, cues)
    )
    return Asked("where", asked) if asked else None


@dataclass(frozen=True)
class _Cues:
    office: bool
    unit: bool
    fate: bool
    time: bool

    @classmethod
    def of(cls, folded: list[str]) -> _Cues:
        padded = f" {' '.join(folded)} "
        found = (bool(cue.search(padded)) for cue in (_OFFICE, _UNIT, _FATE, _TIME))
        return cls(*found)

    @property
    def any(self) -> bool:
        return self.office or self.unit or self.fate or self.time


def _olds(hit: Hit, places: tuple[Place, ...]) -> tuple[Place, ...]:
    """The old places a name means. With no kind written, all of them: "Diên Khánh còn không"
    is answered for the old town and the old district."""
    if hit.said is None and places == communes.of_kind(hit):
        return tuple(p for p in hit.places if p.old and hit.typed_as(p))
    return tuple(p for p in places if p.old)


def _asks_where(hit: Hit, places: tuple[Place, ...], folded: list[str], cues: _Cues) -> bool:
    if cues.unit or (hit.end < len(folded) and folded[hit.end] == _OLD):
        return True
    opens = hit.said is not None or all(w in _LEAD_IN for w in folded[: hit.start])
    if cues.fate:
        return opens
    # "Cam Đức giờ ở đâu"; not "Diên Khánh hiện nay có wifi không" (a current unit's name
    # too) nor "công nghệ tân tiến hiện nay là gì" (an old ward's name inside a sentence).
    shared = any(not p.old for p in places)
    return cues.time and opens and (hit.said is not None or not shared)
