"""Erasure on request through Messenger (confirmation sent first, then the raw id goes too) and
through Meta's data-deletion callback."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json

from tests.fakes.channels import APP_SECRET, Channels, fb_text

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


def signed_request(payload: dict, secret: str = APP_SECRET) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    digest = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=") + "." + body


async def test_meta_deletion_callback_erases_and_confirms(channels: Channels) -> None:
    channels.consented("facebook", "5552")
    assert (await channels.post_facebook(fb_text("5552", "vneid la gi", "m_del1"))).status == 200
    await channels.graph.wait_messages(1)
    await asyncio.sleep(0.3)
    assert channels.count("messages", "user_ref IS NOT NULL") > 0
    client = channels.client
    forged = signed_request({"algorithm": "HMAC-SHA256", "user_id": "5552"}, secret="wrong")
    resp = await client.post("/webhooks/facebook/deletion", data={"signed_request": forged})
    assert resp.status == 403
    assert channels.count("recipients") == 1  # nothing erased on a forged request

    good = signed_request({"algorithm": "HMAC-SHA256", "user_id": "5552", "issued_at": 1})
    resp = await client.post("/webhooks/facebook/deletion", data={"signed_request": good})
    assert resp.status == 200
    answer = await resp.json()
    assert set(answer) == {"url", "confirmation_code"}
    for table in TABLES:
        assert channels.count(table, "user_ref IS NOT NULL") == 0, table
    status = await client.get(answer["url"].split(str(client.port), 1)[1])
    assert status.status == 200
    assert "đã được thực hiện" in await status.text()
    unknown = await client.get("/privacy/deletion?code=20260101000000abcdabcd-0000000000000000")
    assert unknown.status == 404
