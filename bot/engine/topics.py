"""Intent -> topic mapping and the topics' Vietnamese names, read from `content/topics.yml`
(the one place both are defined)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.settings import PROJECT_ROOT

TOPICS_FILE = PROJECT_ROOT / "content" / "topics.yml"
OUT_OF_SCOPE = "out_of_scope"

# The topic names reports and tests rely on (architecture.md); the file may not invent others.
TOPIC_NAMES = (
    "smalltalk",
    "dx_basics",
    "dx_policy",
    "digital_government",
    "digital_economy",
    "digital_society",
    "priority_sectors",
    "scam_awareness",
    "account_security",
    "privacy_data",
    "report_incident",
    "vneid",
    "public_services",
    "quiz",
    "contests_events",
    "newsletter",
    "human_handoff",
    "feedback",
    "data_rights",
    "out_of_scope",
)


class TopicMapError(ValueError):
    pass


@dataclass(frozen=True)
class TopicMap:
    by_intent: Mapping[str, str]

    @classmethod
    def load(cls, path: Path = TOPICS_FILE) -> TopicMap:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        by_intent: dict[str, str] = {}
        for topic, intents in (data.get("topics") or {}).items():
            if topic not in TOPIC_NAMES:
                raise TopicMapError(f"unknown topic {topic!r} in {path.name}")
            for intent in intents or []:
                if intent in by_intent:
                    raise TopicMapError(
                        f"intent {intent!r} is in both {by_intent[intent]!r} and {topic!r}"
                    )
                by_intent[intent] = topic
        return cls(by_intent)

    def topic_of(self, intent: str | None, *, fallback: bool = False) -> str:
        """The topic of an intent; anything unknown or a fallback counts as out of scope."""
        if fallback or not intent:
            return OUT_OF_SCOPE
        return self.by_intent.get(intent.split("/", 1)[0], OUT_OF_SCOPE)

    def intents(self) -> set[str]:
        return set(self.by_intent)


@lru_cache(maxsize=4)
def topic_names(path: Path = TOPICS_FILE) -> Mapping[str, str]:
    """Each topic's Vietnamese name (the file's `names:`), for what officials read; a topic
    without a name, or a name for no topic, is an error rather than an id on a report."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    names = {str(k): str(v).strip() for k, v in (data.get("names") or {}).items()}
    unknown = sorted(set(names) - set(TOPIC_NAMES))
    missing = [topic for topic in TOPIC_NAMES if not names.get(topic)]
    if unknown or missing:
        raise TopicMapError(f"{path.name}: names for unknown {unknown}, none for {missing}")
    return names
