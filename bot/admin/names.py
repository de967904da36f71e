"""What officials read in place of internal ids: the Vietnamese names of topics (from
content/topics.yml), channels and communes, for the dashboard, the printable page and the
workbook alike."""

from __future__ import annotations

from collections.abc import Mapping

from bot.core import communes
from bot.engine.topics import topic_names

CHANNEL_NAMES: Mapping[str, str] = {
    "zalo": "Zalo OA",
    "facebook": "Facebook Messenger",
    "web": "Trò chuyện trên web",
}
# A message or a rating stored without a topic (an older row, a button with no answer before).
NO_TOPIC = "Chưa xác định"


def topic(topic_id: str | None) -> str:
    """A topic's Vietnamese name; an id the file does not know shows as it is, never dropped."""
    if not topic_id or topic_id == "?":
        return NO_TOPIC
    return topic_names().get(topic_id, topic_id)


def channel(channel_id: str) -> str:
    return CHANNEL_NAMES.get(channel_id, channel_id)


def commune(name: str) -> str:
    """ "Cam Lâm" -> "Xã Cam Lâm", as written on official papers; anything else as it is."""
    for unit in communes.load():
        if unit.name == name:
            return unit.label
    return name


def topics(counts: Mapping[str, int]) -> dict[str, int]:
    """Counts by topic id as counts by name (two ids never share a name, but add up if so);
    a row stored without a topic comes as None and reads as `NO_TOPIC`."""
    named: dict[str, int] = {}
    for topic_id, n in counts.items():
        key = topic(topic_id)
        named[key] = named.get(key, 0) + n
    return named
