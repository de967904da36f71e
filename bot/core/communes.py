"""The 65 commune-level units of Khánh Hòa since the 2025 reorganisation (content/communes.csv),
and the 194 units of former Khánh Hòa and Ninh Thuận they were made from
(content/khanh_hoa_old_to_new_2025.csv; administrative data provided by VietMap).

Citizens type a unit's name with or without diacritics, with or without "xã"/"phường", the name
of their old ward, commune or town, or of the old district; `match` turns that into one unit or a
short list to choose from, and `named` finds the places a question names. The lists are data an
admin can correct, not code.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.nlu.text import fold, normalize
from bot.settings import PROJECT_ROOT

COMMUNES_CSV = PROJECT_ROOT / "content" / "communes.csv"
OLD_TO_NEW_CSV = PROJECT_ROOT / "content" / "khanh_hoa_old_to_new_2025.csv"
_PREFIX = re.compile(r"^(?:xa|phuong|dac khu|thi tran|tt|p|x)\.?\s+")
_NOISE = re.compile(r"[^a-z0-9 ]+")
_RAW_NOISE = re.compile(r"[^\w ]+|_")

# What a citizen writes before a name, folded, and the kind of unit it says.
KIND_WORDS = {
    "thi tran": "thị trấn", "tt": "thị trấn", "thi xa": "thị xã", "tx": "thị xã",
    "thanh pho": "thành phố", "tp": "thành phố", "dac khu": "đặc khu", "phuong": "phường",
    "p": "phường", "xa": "xã", "x": "xã", "huyen": "huyện", "h": "huyện",
}  # fmt: skip
DISTRICT_KINDS = ("huyện", "thị xã", "thành phố")
# The old kinds as written at the start of a name in the mapping, longest first.
_OLD_KINDS = ("Thị trấn", "Thị xã", "Thành phố", "Phường", "Huyện", "Xã")
# Citizens typing an old name in a longer message must name its kind, or write only a few words.
SHORT_QUERY_WORDS = 5


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
        return name_key(self.name)


def name_key(text: str) -> str:
    """A place name folded for comparison: "Phan Rang–Tháp Chàm" -> "phan rang thap cham"."""
    return " ".join(_NOISE.sub(" ", fold(text)).split())


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


# --- places: the current units, and the old units and districts ------------------------------


@dataclass(frozen=True)
class Place:
    """A name a citizen may use: a current unit, an old unit or an old district."""

    name: str  # "Vĩnh Hải"
    kind: str  # xã | phường | đặc khu | thị trấn | huyện | thị xã | thành phố
    units: tuple[Commune, ...]  # the current unit(s) it is (part of); a district: all of them
    district: str = ""  # an old unit's district ("Thành phố Nha Trang")
    province: str = ""  # an old place's province (Khánh Hòa | Ninh Thuận); "" for current units

    @property
    def old(self) -> bool:
        return bool(self.province)

    @property
    def is_district(self) -> bool:
        return self.kind in DISTRICT_KINDS

    @property
    def label(self) -> str:
        return f"{self.kind.capitalize()} {self.name}"

    @property
    def key(self) -> str:
        return name_key(self.name)


def _split_kind(label: str) -> tuple[str, str]:
    """ "Thị trấn Cam Đức" -> ("thị trấn", "Cam Đức")."""
    for kind in _OLD_KINDS:
        if label.startswith(kind + " "):
            return kind.lower(), label[len(kind) + 1 :].strip()
    raise ValueError(f"no kind of unit in {label!r}")


@lru_cache(maxsize=4)
def old_places(
    path: Path = OLD_TO_NEW_CSV, communes_path: Path = COMMUNES_CSV
) -> tuple[Place, ...]:
    """The old units (one place each, with every unit it went to), then the old districts."""
    by_label = {c.label: c for c in load(communes_path)}
    went: dict[tuple[str, str, str], list[Commune]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            new = row["new_unit"].strip()
            if new not in by_label:
                raise ValueError(f"{path.name}: {new!r} is not a unit of {communes_path.name}")
            old = (
                row["old_province"].strip(),
                row["old_district"].strip(),
                row["old_unit"].strip(),
            )
            went.setdefault(old, []).append(by_label[new])
    units = []
    for (province, district, unit), new in went.items():
        kind, name = _split_kind(unit)
        units.append(Place(name, kind, tuple(new), district, province))
    return (*units, *_districts(units, load(communes_path)))


def _districts(units: list[Place], order: tuple[Commune, ...]) -> list[Place]:
    """Each old district with its current units, the one that took most of it first (a unit
    split in n parts counts 1/n for each)."""
    shares: dict[tuple[str, str], dict[Commune, float]] = {}
    for unit in units:
        share = shares.setdefault((unit.province, unit.district), {})
        for new in unit.units:
            share[new] = share.get(new, 0.0) + 1 / len(unit.units)
    places = []
    for (province, district), share in shares.items():
        ranked = sorted(share, key=lambda c: (-share[c], order.index(c)))
        kind, name = _split_kind(district)
        places.append(Place(name, kind, tuple(ranked), province=province))
    return places


@dataclass(frozen=True)
class _Index:
    by_key: dict[str, tuple[Place, ...]]
    # The keys by their first word, as word tuples: names are found word by word.
    by_first: dict[str, tuple[tuple[str, ...], ...]]


@lru_cache(maxsize=4)
def _index(path: Path = COMMUNES_CSV, old_path: Path = OLD_TO_NEW_CSV) -> _Index:
    current = [Place(c.name, c.kind, (c,)) for c in load(path)]
    grouped: dict[str, list[Place]] = {}
    for place in (*current, *old_places(old_path, path)):
        grouped.setdefault(place.key, []).append(place)
    first: dict[str, list[tuple[str, ...]]] = {}
    for key in grouped:
        parts = tuple(key.split())
        first.setdefault(parts[0], []).append(parts)
    return _Index(
        {k: tuple(v) for k, v in grouped.items()},
        {w: tuple(sorted(v, key=len, reverse=True)) for w, v in first.items()},
    )


@dataclass(frozen=True)
class Hit:
    """A name found in a message: every place of that name, and how it was written."""

    key: str  # "vinh hai"
    places: tuple[Place, ...]
    start: int  # word positions in the folded message
    end: int
    said: str | None  # the kind written just before it ("phường"), if any
    typed: tuple[str, ...]  # the words as typed (NFC, lower case), when they line up

    def typed_as(self, place: Place) -> bool:
        """Every word typed with diacritics has the place's: "mà nói" is not "Ma Nới", "Thanh
        Hải" is not "Thành Hải"; a word typed without any fits."""
        name = normalize(place.name).lower().replace("-", " ").split()
        if len(name) != len(self.typed):
            return True
        return all(fold(t) == t or t == n for t, n in zip(self.typed, name, strict=True))

    @property
    def faithful(self) -> bool:
        """Typed as one of its places is written (or without diacritics)."""
        return any(self.typed_as(p) for p in self.places)


def words(text: str) -> tuple[list[str], list[str]]:
    """The message's folded words, and the same words as typed (NFC, lower case) when both
    split alike (else [])."""
    clean = text.replace("–", " ").replace("-", " ")
    folded = _NOISE.sub(" ", fold(clean)).split()
    typed = _RAW_NOISE.sub(" ", normalize(clean).lower()).split()
    return folded, (typed if len(typed) == len(folded) else [])


def find(text: str, path: Path = COMMUNES_CSV, old_path: Path = OLD_TO_NEW_CSV) -> list[Hit]:
    """The names in `text`, longest first where they overlap ("bac ninh hoa", not "ninh hoa";
    "phan rang thap cham", not "phan rang")."""
    index = _index(path, old_path)
    folded, typed = words(text)
    found: list[Hit] = []
    taken: set[int] = set()
    spans = [
        (i, i + len(key))
        for i, word in enumerate(folded)
        for key in index.by_first.get(word, ())
        if tuple(folded[i : i + len(key)]) == key
    ]
    for start, end in sorted(spans, key=lambda s: (s[0] - s[1], s[0])):
        if taken.intersection(range(start, end)):
            continue
        taken.update(range(start, end))
        key = " ".join(folded[start:end])
        said = _kind_before(folded, start)
        found.append(Hit(key, index.by_key[key], start, end, said, tuple(typed[start:end])))
    return sorted(found, key=lambda h: h.start)


def _kind_before(folded: list[str], start: int) -> str | None:
    two = " ".join(folded[max(start - 2, 0) : start])
    if start >= 2 and two in KIND_WORDS:
        return KIND_WORDS[two]
    if start >= 1 and folded[start - 1] in KIND_WORDS:
        return KIND_WORDS[folded[start - 1]]
    return None


def of_kind(hit: Hit) -> tuple[Place, ...]:
    """The places a hit means: of the kind written before it if any is; else the commune-level
    ones first (a bare "Diên Khánh" is the commune, "huyện Diên Khánh" the old district)."""
    places = tuple(p for p in hit.places if hit.typed_as(p)) or hit.places
    if hit.said is not None:
        district = hit.said in DISTRICT_KINDS
        same = tuple(p for p in places if (p.is_district if district else p.kind == hit.said))
        if same:
            return same
    communal = tuple(p for p in places if not p.is_district)
    return communal or places


def in_context(hits: list[Hit]) -> list[tuple[Hit, tuple[Place, ...]]]:
    """Each name with the places it means; a name that only places another ("Vĩnh Hải, Nha
    Trang": the old Nha Trang ward) is dropped."""
    once: dict[str, Hit] = {}
    for hit in hits:
        once.setdefault(hit.key, hit)  # a name written twice is one name
    meant = [(hit, of_kind(hit)) for hit in once.values()]
    keys = set(once)
    used: set[str] = set()
    settled = []
    for hit, places in meant:
        others = keys - {hit.key}
        placed = tuple(p for p in places if _context_keys(p) & others)
        if placed:
            used |= set().union(*(_context_keys(p) for p in placed)) & others
            places = placed
        settled.append((hit, places))
    return [(h, p) for h, p in settled if h.key not in used]


def _context_keys(place: Place) -> set[str]:
    if place.old and not place.is_district:
        return {name_key(_split_kind(place.district)[1])}
    if not place.old:
        return {name_key(a) for a in place.units[0].former_areas}
    return set()


# --- the commune a citizen names ----------------------------------------------------------


@dataclass(frozen=True)
class Match:
    # The unit named. For a name two places share ("Vĩnh Hải": the current xã, and the old
    # Nha Trang ward), the current unit of that name, with `candidates` to ask which.
    commune: Commune | None
    candidates: tuple[Commune, ...] = ()  # units to choose from (may be empty)
    via: str = ""  # the old unit the citizen named, when it settled the unit ("Phường Vĩnh Hải")
    note: str = ""  # why the citizen is asked to choose, when candidates are given

    @property
    def settled(self) -> Commune | None:
        """The unit, when nothing is left to ask."""
        return self.commune if not self.candidates else None


def match(text: str, path: Path = COMMUNES_CSV, old_path: Path = OLD_TO_NEW_CSV) -> Match:
    """The unit a citizen named: a current or an old name (its kind, if written, decides
    between places of the same name), an old district, then part of a current name."""
    hits = find(text, path, old_path)
    folded, _ = words(text)
    # In a longer sentence, an old name counts only with its kind written before it.
    hits = [h for h in hits if _plausible(h, len(folded))]
    named = in_context(hits)
    if len(named) == 1:
        return _settle(named[0][0], named[0][1])
    if named:
        units = _union(p.units for _, places in named for p in places)
        return Match(units[0] if len(units) == 1 else None, units if len(units) > 1 else ())
    return _partial(_PREFIX.sub("", name_key(text)), load(path))


def _plausible(hit: Hit, length: int) -> bool:
    current = any(not p.old for p in hit.places)
    return current or hit.said is not None or length <= SHORT_QUERY_WORDS


def _settle(hit: Hit, places: tuple[Place, ...]) -> Match:
    units = _union(p.units for p in places)
    current = next((p.units[0] for p in places if not p.old), None)
    olds = [p for p in places if p.old]
    via = olds[0].label if len(olds) == 1 and current is None else ""
    if len(units) == 1:
        return Match(units[0], via=via)
    if current is not None and all(current in p.units for p in olds):
        # The old unit of that name is the current one's core ("phường Đông Hải").
        return Match(current)
    return Match(current, units, via=via, note=ask_note(places))


def _union(groups: Iterable[tuple[Commune, ...]]) -> tuple[Commune, ...]:
    return tuple(dict.fromkeys(c for group in groups for c in group))


def _partial(query: str, units: tuple[Commune, ...]) -> Match:
    """Part of a current unit's name ("khanh vinh" -> the five units named so)."""
    parts = query.split()
    if not parts:
        return Match(None)
    partial = tuple(c for c in units if all(w in c.key.split() for w in parts))
    if len(partial) == 1:
        return Match(partial[0])
    return Match(None, partial)


def ask_note(places: tuple[Place, ...]) -> str:
    """Why the citizen is asked to choose, in a line or three."""
    if len(places) == 1 and places[0].is_district:
        return (
            f"{places[0].label} không còn từ 1/7/2025 (cấp huyện đã bỏ). Khu vực này nay thuộc "
            "các xã, phường dưới đây. Bạn ở đâu?"
        )
    if len(places) == 1:
        return f"{places[0].label} cũ nay chia về {len(places[0].units)} đơn vị. Bạn ở phần nào?"
    current = next((p.units[0] for p in places if not p.old), None)
    # An old unit that simply became the current one of its name is not another place.
    shown = [p for p in places if not (p.old and current is not None and p.units == (current,))]
    names = {p.name for p in shown}
    title = f"tên “{shown[0].name}”" if len(names) == 1 else "tên gần giống nhau"
    lines = [f"Có {len(shown)} nơi {title}:"]
    lines += [f"• {place_line(p)}" for p in shown]
    lines.append("Bạn ở xã/phường nào dưới đây?")
    return "\n".join(lines)


def place_line(place: Place) -> str:
    """ "Phường Vĩnh Hải cũ (Thành phố Nha Trang) nay thuộc Phường Bắc Nha Trang"."""
    if not place.old:
        return f"{place.label} (hiện nay)"
    where = f" ({place.district})" if place.district else ""
    return f"{place.label} cũ{where} nay thuộc {joined(place.units)}"


def joined(units: tuple[Commune, ...]) -> str:
    """ "Xã Cam An, Xã Cam Lâm và Xã Suối Dầu"."""
    labels = [u.label for u in units]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} và {labels[-1]}"
