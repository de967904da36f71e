"""The public-service catalogue (content/services.yml): loaded, checked, and searched by name.

`load_catalog` refuses a file with any problem and names every one of them, so an admin fixes
the data, not the code. `Catalog.find` folds diacritics and reads aliases as whole words: the
longest alias in the text wins; no alias, or one that means several services, gives the closest
services instead, for the citizen to pick from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from bot.nlu.text import folded_words
from bot.settings import PROJECT_ROOT

SERVICES_YML = PROJECT_ROOT / "content" / "services.yml"

GROUPS = frozenset(
    {
        "residence", "justice", "identity", "transport", "social_insurance", "health",
        "business", "land", "education", "tax", "electricity", "other",
    }
)  # fmt: skip
LEVELS = frozenset({"toan_trinh", "mot_phan", "unknown"})
CHANNELS = frozenset(
    {
        "dvcqg", "dvc_bca", "dvc_qlct", "vneid", "vssid", "etax", "province_portal",
        "commune_centre", "other",
    }
)  # fmt: skip
# Official portals outside .gov.vn that a service link may point to (none needed today).
OFFICIAL_PORTALS: frozenset[str] = frozenset()
MIN_ALIASES = 4
MIN_STEPS, MAX_STEPS = 2, 4
CLOSEST = 3
_ID = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_REQUIRED = ("id", "name", "group", "aliases", "level", "where", "where_note", "source")


class CatalogError(ValueError):
    """The catalogue file was refused; the message lists every problem found."""


@dataclass(frozen=True)
class Source:
    title: str
    url: str
    date: date | None  # None for an undated page


@dataclass(frozen=True)
class Sourced:
    """A text stated with its own sources (a fee, an amount received)."""

    text: str
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    group: str
    aliases: tuple[str, ...]
    level: str  # toan_trinh | mot_phan | unknown (Nghị định 42/2022/NĐ-CP)
    where: tuple[str, ...]
    where_note: str
    link: str | None
    fee: Sourced | None
    benefit: Sourced | None
    steps: tuple[str, ...]
    sources: tuple[Source, ...]
    as_of: date
    review_by: date


@dataclass(frozen=True)
class Match:
    """The service a text names, or else the closest ones to offer as buttons."""

    service: Service | None
    closest: tuple[Service, ...] = ()
    alias: str | None = None  # the folded alias read in the text, if any

    @property
    def ambiguous(self) -> bool:
        return self.service is None and self.alias is not None


def fold(text: str) -> str:
    """Lower case, no diacritics, punctuation as spaces: what aliases are compared on."""
    return folded_words(text, punctuation=True)


@dataclass(frozen=True)
class Catalog:
    services: tuple[Service, ...]
    # folded alias -> the one service it names
    by_alias: Mapping[str, Service]
    # folded alias -> the services it may mean
    ambiguous: Mapping[str, tuple[Service, ...]]

    def __len__(self) -> int:
        return len(self.services)

    def get(self, service_id: str) -> Service:
        return next(s for s in self.services if s.id == service_id)

    def find(self, text: str) -> Match:
        """The service whose alias the text names (the longest alias wins), or the closest
        ones when no alias or an ambiguous one is found."""
        return self.named(text) or Match(service=None, closest=self.closest(text))

    def named(self, text: str) -> Match | None:
        """The service or services an alias in the text names; None when none is named (cheap:
        a turn asks this of every message)."""
        alias = self._longest_alias(fold(text))
        if alias is not None and alias in self.by_alias:
            return Match(service=self.by_alias[alias], alias=alias)
        if alias is not None:
            return Match(service=None, closest=self.ambiguous[alias], alias=alias)
        return None

    def closest(self, text: str, count: int = CLOSEST) -> tuple[Service, ...]:
        """The `count` services most like `text` by character 3-grams of names and aliases."""
        grams = _trigrams(fold(text))
        if not grams:
            return ()
        scored = [
            (max(_jaccard(grams, name) for name in names), i)
            for i, names in enumerate(self._name_grams)
        ]
        # Best score first; ties keep the file's order so results are stable.
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        return tuple(self.services[i] for score, i in scored[:count] if score > 0)

    def _longest_alias(self, folded: str) -> str | None:
        # Every run of up to the longest alias's word count, looked up: no scan of all aliases.
        words = folded.split()
        found = [
            run
            for size in range(1, min(len(words), self._longest_words) + 1)
            for start in range(len(words) - size + 1)
            if (run := " ".join(words[start : start + size])) in self._aliases
        ]
        if not found:
            return None
        # Longest first: "mat cccd" beats "cccd"; equal lengths fall back to the spelling.
        return max(found, key=lambda a: (len(a), a))

    @cached_property
    def _aliases(self) -> frozenset[str]:
        return frozenset((*self.by_alias, *self.ambiguous))

    @cached_property
    def _longest_words(self) -> int:
        return max((len(a.split()) for a in self._aliases), default=0)

    @cached_property
    def _name_grams(self) -> tuple[tuple[frozenset[str], ...], ...]:
        # Computed once: the closest services are looked for in a citizen's turn.
        return tuple(
            tuple(_trigrams(fold(name)) for name in (s.name, *s.aliases)) for s in self.services
        )


def _trigrams(folded: str) -> frozenset[str]:
    # Padding each word lets short words and word edges count too.
    return frozenset(
        padded[i : i + 3] for word in folded.split() for padded in [f" {word} "]
        for i in range(len(padded) - 2)
    )  # fmt: skip


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


# -- loading ------------------------------------------------------------------------------------


def load_catalog(path: Path = SERVICES_YML) -> Catalog:
    """The catalogue in `path`; CatalogError naming every problem if any entry is wrong."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"{path.name}: cannot be read: {exc}") from exc
    problems: list[str] = []
    services = _services(data, problems)
    by_alias, ambiguous = _aliases(data, services, problems)
    if problems:
        raise CatalogError(f"{path.name} refused:\n" + "\n".join(f"- {p}" for p in problems))
    return Catalog(tuple(services), by_alias, ambiguous)


def _services(data: Any, problems: list[str]) -> list[Service]:
    entries = data.get("services") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        problems.append("no `services:` list")
        return []
    services: list[Service] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        label = f"service #{number}"
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            label = f"service {entry['id']!r}"
        service = _service(entry, label, problems)
        if service is None:
            continue
        if service.id in seen:
            problems.append(f"{label}: id used twice")
        seen.add(service.id)
        services.append(service)
    return services


def _service(entry: Any, label: str, problems: list[str]) -> Service | None:
    if not isinstance(entry, dict):
        problems.append(f"{label}: not a mapping")
        return None
    found: list[str] = []
    missing = [name for name in _REQUIRED if not entry.get(name)]
    found += [f"`{name}` is missing" for name in missing]
    service_id = _text(entry, "id", found)
    if service_id and not _ID.match(service_id):
        found.append(f"id {service_id!r} is not snake_case ascii")
    if entry.get("group") and entry["group"] not in GROUPS:
        found.append(f"group {entry['group']!r} is not one of {sorted(GROUPS)}")
    if entry.get("level") and entry["level"] not in LEVELS:
        found.append(f"level {entry['level']!r} is not one of {sorted(LEVELS)}")
    aliases = _texts(entry, "aliases", found)
    if "aliases" not in missing and len(aliases) < MIN_ALIASES:
        found.append(f"needs at least {MIN_ALIASES} aliases, has {len(aliases)}")
    where = _texts(entry, "where", found)
    found += [f"where {w!r} is not one of {sorted(CHANNELS)}" for w in where if w not in CHANNELS]
    steps = _texts(entry, "steps", found)
    if "steps" in entry and not MIN_STEPS <= len(steps) <= MAX_STEPS:
        found.append(f"needs {MIN_STEPS} to {MAX_STEPS} steps, has {len(steps)}")
    link = _link(entry.get("link"), found)
    # A missing `source` is reported once, above.
    sources = _sources(entry.get("source"), "source", [] if "source" in missing else found)
    fee = _sourced(entry, "fee", sources, found)
    benefit = _sourced(entry, "benefit", sources, found)
    as_of, review_by = _day(entry, "as_of", found), _day(entry, "review_by", found)
    if as_of and review_by and as_of > review_by:
        found.append(f"as_of {as_of} is after review_by {review_by}")
    problems += [f"{label}: {message}" for message in found]
    if found or as_of is None or review_by is None:
        return None
    return Service(
        id=service_id,
        name=entry["name"],
        group=entry["group"],
        aliases=tuple(aliases),
        level=entry["level"],
        where=tuple(where),
        where_note=entry["where_note"],
        link=link,
        fee=fee,
        benefit=benefit,
        steps=tuple(steps),
        sources=sources,
        as_of=as_of,
        review_by=review_by,
    )


def _text(entry: Mapping[str, Any], name: str, found: list[str]) -> str:
    value = entry.get(name, "")
    if not isinstance(value, str):
        found.append(f"`{name}` is not text")
        return ""
    return value.strip()


def _texts(entry: Mapping[str, Any], name: str, found: list[str]) -> list[str]:
    value = entry.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        found.append(f"`{name}` must be a list of non-empty texts")
        return []
    return [v.strip() for v in value]


def _link(value: Any, found: list[str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _official(value):
        found.append(f"link {value!r} must be https on a .gov.vn host or a listed official portal")
        return None
    return value


def _official(url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    # A citizen is sent there: it must be encrypted and the government's own.
    return parts.scheme == "https" and (host.endswith(".gov.vn") or host in OFFICIAL_PORTALS)


def _sources(value: Any, where: str, found: list[str]) -> tuple[Source, ...]:
    if not isinstance(value, list) or not value:
        found.append(f"`{where}` needs at least one {{title, url, date}}")
        return ()
    sources = []
    for item in value:
        source = _source(item, where, found)
        if source is not None:
            sources.append(source)
    return tuple(sources)


def _source(item: Any, where: str, found: list[str]) -> Source | None:
    if not isinstance(item, dict) or not item.get("title") or not item.get("url"):
        found.append(f"`{where}`: each source needs a title and a url")
        return None
    url = str(item["url"])
    # A citation may be an old http page, but it must be a web address.
    if urlsplit(url).scheme not in {"http", "https"}:
        found.append(f"`{where}`: source url {url!r} is not a web address")
        return None
    day = _parse_day(item.get("date"))
    if item.get("date") is not None and day is None:
        found.append(f"`{where}`: source date {item['date']!r} is not YYYY-MM-DD")
    return Source(title=str(item["title"]), url=url, date=day)


def _sourced(
    entry: Mapping[str, Any], name: str, sources: tuple[Source, ...], found: list[str]
) -> Sourced | None:
    value = entry.get(name)
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("text"), str) or not value["text"]:
        found.append(f"`{name}` needs a `text` and its `source`")
        return None
    own = _sources(value.get("source"), f"{name}.source", found)
    # Every source of the card is listed once, under `source`.
    found += [
        f"`{name}` source {s.title!r} is not under `source`" for s in own if s not in sources
    ]
    return Sourced(text=value["text"].strip(), sources=own)


def _day(entry: Mapping[str, Any], name: str, found: list[str]) -> date | None:
    if name not in entry:
        found.append(f"`{name}` is missing")
        return None
    day = _parse_day(entry[name])
    if day is None:
        found.append(f"`{name}` {entry[name]!r} is not a day written YYYY-MM-DD")
    return day


def _parse_day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DAY.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _aliases(
    data: Any, services: list[Service], problems: list[str]
) -> tuple[dict[str, Service], dict[str, tuple[Service, ...]]]:
    ambiguous = _ambiguous(data, {s.id: s for s in services}, problems)
    owners: dict[str, set[str]] = {}
    for service in services:
        for alias in _keys(service):
            owners.setdefault(alias, set()).add(service.id)
    by_id = {s.id: s for s in services}
    by_alias: dict[str, Service] = {}
    for alias, ids in owners.items():
        if alias in ambiguous:
            _check_listed(alias, ids, ambiguous[alias], problems)
        elif len(ids) > 1:
            problems.append(
                f"alias {alias!r} is shared by {sorted(ids)}: list it under `ambiguous:`"
            )
        else:
            by_alias[alias] = by_id[next(iter(ids))]
    return by_alias, ambiguous


def _keys(service: Service) -> set[str]:
    # The official name is typed too ("đăng ký khai sinh"); one key per folded spelling.
    return {key for key in (fold(a) for a in (service.name, *service.aliases)) if key}


def _check_listed(
    alias: str, ids: set[str], candidates: tuple[Service, ...], problems: list[str]
) -> None:
    outside = ids - {s.id for s in candidates}
    if outside:
        problems.append(f"ambiguous alias {alias!r} is also an alias of {sorted(outside)}")


def _ambiguous(
    data: Any, by_id: Mapping[str, Service], problems: list[str]
) -> dict[str, tuple[Service, ...]]:
    raw = data.get("ambiguous", {}) if isinstance(data, dict) else {}
    if not isinstance(raw, dict):
        problems.append("`ambiguous:` must map an alias to a list of service ids")
        return {}
    found: dict[str, tuple[Service, ...]] = {}
    for alias, ids in raw.items():
        key = fold(str(alias))
        if not isinstance(ids, list) or len(set(ids)) < 2:
            problems.append(f"ambiguous alias {alias!r} needs at least two service ids")
            continue
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            problems.append(f"ambiguous alias {alias!r} names unknown services {unknown}")
            continue
        if key in found:
            problems.append(f"ambiguous alias {alias!r} is listed twice")
        found[key] = tuple(by_id[i] for i in _unique(ids))
    return found


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))
