"""Erasure on request through Messenger: confirmation sent first, then the raw id goes too."""

from __future__ import annotations

import asyncio

from tests.channels.conftest import Channels, fb_text

TABLES = (
    "inbox",
    "outbox",
    "messages",
    "conversations",
    "feedback",
    "citizens",
    "dead_letters",
    "recipients",
)


async def test_messenger_erasure_confirms_then_removes_the_raw_id(channels: Channels) -> None:
    channels.consented("facebook", "5551")
    for i, text in enumerate(["cam on", "xoa du lieu cua toi"]):
        assert (await channels.post_facebook(fb_text("5551", text, f"m_e{i}"))).status == 200
    await channels.graph.wait_messages(2)
    confirm = fb_text("5551", "Đồng ý xóa", "m_e9", quick_reply="/data_delete_confirm")
    assert (await channels.post_facebook(confirm)).status == 200
    sent = await channels.graph.wait_messages(3)
    assert "đã xóa toàn bộ dữ liệu" in sent[-1].body["message"]["text"]
    assert sent[-1].body["recipient"] == {"id": "5551"}
    assert "_erase_after_send" not in sent[-1].body
    await asyncio.sleep(0.3)
    for table in TABLES:
        assert channels.count(table, "user_ref IS NOT NULL") == 0, table
    # What remains is an anonymous count of the confirmation: no reference, no text.
    assert channels.rows("SELECT user_ref, text FROM messages") == [(None, None)]
    assert channels.count("audit_log", "action = 'erase'") == 2  # at the turn, after the send
