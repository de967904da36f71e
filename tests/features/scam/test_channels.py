"""A forwarded scam message through a signed Messenger webhook: the verdict reaches the fake
Graph API and the message is recorded as a scam check."""

from __future__ import annotations

from tests.fakes.channels import Channels, fb_text, login
from tests.features.scam.test_chat import SCAM


async def test_a_forwarded_scam_on_messenger_gets_the_verdict(channels: Channels) -> None:
    channels.consented("facebook", "8801")
    body = fb_text("8801", SCAM, "m_scam")
    assert (await channels.post_facebook(body)).status == 200
    sent = await channels.graph.wait_messages(3)
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
