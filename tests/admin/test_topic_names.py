"""Every topic has a Vietnamese name in content/topics.yml: a report never shows an id."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.admin import names
from bot.engine.topics import TOPIC_NAMES, TOPICS_FILE, TopicMapError, topic_names


def test_every_topic_has_its_own_vietnamese_name() -> None:
    named = topic_names()
    assert set(named) == set(TOPIC_NAMES)
    assert len(set(named.values())) == len(TOPIC_NAMES)  # no two topics read alike
    for topic_id, name in named.items():
        assert name and name != topic_id and "_" not in name
    assert named["scam_awareness"] == "Lừa đảo trực tuyến"
    assert named["data_rights"] == "Quyền về dữ liệu cá nhân"
    assert named["smalltalk"] == "Chào hỏi, trò chuyện"
    assert named["out_of_scope"] == "Ngoài phạm vi"


def test_a_topic_without_a_name_is_refused(tmp_path: Path) -> None:
    text = TOPICS_FILE.read_text(encoding="utf-8")
    unnamed = tmp_path / "topics.yml"
    unnamed.write_text(
        "\n".join(line for line in text.splitlines() if not line.startswith('  vneid: "')),
        encoding="utf-8",
    )
    with pytest.raises(TopicMapError, match="vneid"):
        topic_names(unnamed)


def test_channels_and_communes_read_as_officials_write_them() -> None:
    assert names.channel("zalo") == "Zalo OA"
    assert names.channel("facebook") == "Facebook Messenger"
    assert names.channel("web") == "Trò chuyện trên web"
    assert names.commune("Cam Lâm") == "Xã Cam Lâm"
    assert names.commune("Chưa cho biết") == "Chưa cho biết"
    assert names.topic(None) == names.NO_TOPIC
