"""A forwarded scam message through a signed Messenger webhook: the verdict reaches the fake
Graph API and the message is recorded as a scam check."""

from __future__ import annotations

from tests.fakes.channels import PAGE_ID, Channels, fb_envelope, fb_text, login, zalo_event
from tests.features.scam.test_chat import SCAM


async def test_a_forwarded_scam_on_messenger_gets_the_verdict(channels: Channels) -> None:
    channels.consented("facebook", "8801")
    body = fb_text("8801", SCAM, "m_scam")
    assert (await channels.post_facebook(body)).status == 200
    sent = await channels.graph.wait_messages(2)
    texts = "\n".join(r.body["message"]["text"] for r in sent)
    assert "RẤT CÓ THỂ LÀ LỪA ĐẢO" in texts
    assert channels.rows("SELECT intent, topic FROM messages WHERE direction = 'in'") == [
        ("scam_check_likely_scam", "scam_awareness")
    ]
    await login(channels)
    stats = await (await channels.client.get("/admin/api/stats")).json()
    assert stats["scam_checks"] == {"likely_scam": 1, "suspicious": 0, "low": 0}
    page = await (await channels.client.get("/admin")).text()
    assert 'id="scam-checks">1 / 0 / 0<' in page


SHARED_LINK = "http://vneid-capnhat.top/xac-thuc?id=889"


async def test_a_link_shared_on_zalo_gets_the_warning(channels: Channels) -> None:
    channels.consented("zalo", "24680001")
    body = zalo_event(
        "user_send_link",
        "24680001",
        "z_link1",
        attachments=[{"type": "link", "payload": {"url": SHARED_LINK, "title": "Cập nhật"}}],
    )
    assert (await channels.post_zalo(body)).status == 200
    sent = await channels.zalo.wait_for(channels.zalo.SEND, 2)
    texts = "\n".join(str(r.body["message"].get("text", "")) for r in sent)
    assert "vneid-capnhat.top" in texts and "giả dạng" in texts
    assert "chỉ đọc được tin nhắn chữ" not in texts


async def test_a_link_attachment_on_messenger_gets_the_warning(channels: Channels) -> None:
    channels.consented("facebook", "8802")
    link = {"type": "fallback", "payload": {"url": SHARED_LINK, "title": "VNeID"}}
    body = fb_envelope(
        {
            "sender": {"id": "8802"},
            "recipient": {"id": PAGE_ID},
            "timestamp": 1718000000123,
            "message": {"mid": "m_link1", "attachments": [link]},
        }
    )
    assert (await channels.post_facebook(body)).status == 200
    sent = await channels.graph.wait_messages(2)
    texts = "\n".join(r.body["message"]["text"] for r in sent)
    assert "vneid-capnhat.top" in texts and "giả dạng" in texts
