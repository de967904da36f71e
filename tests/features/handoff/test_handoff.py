"""Human handoff through the real channel path: the citizen asks for a person, the assistant
steps aside, a volunteer claims the conversation in the admin pages, replies through the
citizen's channel (inside its window), and hands it back."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta, timezone

from bot.web import keys
from bot.web.edge import ref_for
from tests.fakes.channels import (
    PAGE_ID,
    Channels,
    fb_text,
    login_volunteer,
    web_sender,
    zalo_event,
)


async def test_volunteer_claims_replies_and_hands_back_on_messenger(channels: Channels) -> None:
    graph = channels.graph
    channels.consented("facebook", "4411")
    await channels.post_facebook(fb_text("4411", "vneid muc 2 dang ky o dau", "m_h0"))
    await graph.wait_messages(1)
    await asyncio.sleep(0.2)
    before = len(graph.messages())
    await channels.post_facebook(fb_text("4411", "cho tôi gặp người hỗ trợ", "m_h1"))
    sent = await graph.wait_messages(before + 1)
    assert "tình nguyện viên Đoàn Thanh niên" in sent[-1].body["message"]["text"]
    assert sent[-1].body["message"]["quick_replies"][0]["payload"] == "/handoff_end"

    # The assistant pauses for this citizen: what they write is kept (masked) for the volunteer,
    # and they are told so (not after every message).
    await channels.post_facebook(
        fb_text("4411", "lam sao nop ho so dat dai, sdt 0912345678", "m_h2")
    )
    sent = await graph.wait_messages(before + 2)
    assert "đã được chuyển tới tình nguyện viên" in sent[-1].body["message"]["text"]
    await channels.post_facebook(fb_text("4411", "ban oi", "m_h2b"))
    await asyncio.sleep(0.6)
    assert len(graph.messages()) == before + 2  # no bot answer, no second reminder yet
    before += 1
    assert channels.count("handoffs") == 1

    csrf = await login_volunteer(channels)
    queue = await (await channels.client.get("/admin/handoffs")).text()
    assert "Người dân #" in queue and "đang chờ" in queue
    assert "4411" not in queue
    handoff_id = int(re.search(r'href="/admin/handoffs/(\d+)"', queue).group(1))  # type: ignore[union-attr]
    page = await (await channels.client.get(f"/admin/handoffs/{handoff_id}")).text()
    assert "vneid muc 2 dang ky o dau" in page  # the conversation before the handoff
    assert "[số điện thoại]" in page and "0912345678" not in page
    assert "lam sao nop ho so dat dai" in page  # written while waiting

    resp = await channels.client.post(
        f"/admin/handoffs/{handoff_id}/claim", data={"csrf": csrf}, allow_redirects=False
    )
    assert resp.status == 302
    sent = await graph.wait_messages(before + 2)
    assert "tnv.camlam đã nhận" in sent[-1].body["message"]["text"]
    # Claimed: a person answers; the assistant stays quiet.
    await channels.post_facebook(fb_text("4411", "con o do khong", "m_h3"))
    await asyncio.sleep(0.6)
    assert len(graph.messages()) == before + 2
    before -= 1  # the counts below were written for one message less
    resp = await channels.client.post(
        f"/admin/handoffs/{handoff_id}/reply",
        data={"csrf": csrf, "text": "Chào bạn, bạn đến UBND xã để được hướng dẫn nhé."},
        allow_redirects=False,
    )
    assert resp.status == 302
    sent = await graph.wait_messages(before + 4)
    assert sent[-1].body["message"]["text"].startswith("Chào bạn, bạn đến UBND xã")
    assert sent[-1].body["messaging_type"] == "RESPONSE"

    # Two days later only a person may write, with the HUMAN_AGENT tag.
    old = (datetime.now(timezone.utc) - timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S.%f")
    channels.rows(f"UPDATE recipients SET last_inbound_at = '{old}'")  # noqa: S608
    await channels.client.post(
        f"/admin/handoffs/{handoff_id}/reply", data={"csrf": csrf, "text": "Bạn còn cần gì không?"}
    )
    sent = await graph.wait_messages(before + 5)
    assert sent[-1].body["messaging_type"] == "MESSAGE_TAG"
    assert sent[-1].body["tag"] == "HUMAN_AGENT"

    await channels.client.post(f"/admin/handoffs/{handoff_id}/close", data={"csrf": csrf})
    sent = await graph.wait_messages(before + 7)
    assert "kết thúc hỗ trợ" in sent[-2].body["message"]["text"]
    assert "quick_replies" in sent[-1].body["message"]  # the citizen is asked to rate the help
    # Back with the assistant.
    await channels.post_facebook(fb_text("4411", "vneid la gi", "m_h4"))
    sent = await graph.wait_messages(before + 8)
    assert (
        "VNeID" in sent[-1].body["message"]["text"] or "VNeID" in sent[-2].body["message"]["text"]
    )
    stats_page = await (await channels.client.get("/admin")).text()
    assert 'id="handoffs">1 / 1 / 0' in stats_page
    assert PAGE_ID not in stats_page


async def test_zalo_citizen_returns_to_the_assistant_with_a_keyword(channels: Channels) -> None:
    user = "2468458835296117922"
    channels.consented("zalo", user)
    zalo = channels.zalo
    await channels.post_zalo(zalo_event("user_send_text", user, "z_h1", text="gap nguoi ho tro"))
    sent = await zalo.wait_for(zalo.SEND, 1)
    assert "tình nguyện viên" in sent[-1].body["message"]["text"]
    await channels.post_zalo(zalo_event("user_send_text", user, "z_h2", text="quay lai tro ly"))
    sent = await zalo.wait_for(zalo.SEND, 2)
    assert "quay lại với trợ lý tự động" in sent[-1].body["message"]["text"]
    assert channels.rows("SELECT status, closed_by FROM handoffs") == [("closed", "citizen")]


async def test_two_fallbacks_in_a_row_hand_over_and_unclaimed_ones_get_an_apology(
    channels: Channels,
) -> None:
    channels.consented("facebook", "4412")
    await channels.post_facebook(fb_text("4412", "hjkl asdf ghjk", "m_f0"))
    first = len(await channels.graph.wait_messages(1))
    await asyncio.sleep(0.3)
    first = len(channels.graph.messages())
    await channels.post_facebook(fb_text("4412", "blorp fnord quux", "m_f1"))
    sent = await channels.graph.wait_messages(first + 1)
    assert "chưa hiểu đúng ý bạn" in sent[-1].body["message"]["text"]
    assert channels.rows("SELECT reason, status FROM handoffs") == [("fallbacks", "waiting")]
    desk = channels.client.app[keys.features_key].desk("handoff")
    assert await desk.expire_unclaimed(timedelta(0), "Xin lỗi bạn, hiện chưa có ai trực.") == 1
    sent = await channels.graph.wait_messages(first + 2)
    assert sent[-1].body["message"]["text"] == "Xin lỗi bạn, hiện chưa có ai trực."
    assert channels.rows("SELECT status, closed_by FROM handoffs") == [("expired", "timeout")]


async def test_web_chat_citizen_gets_the_volunteer_reply_by_polling(channels: Channels) -> None:
    client = channels.client
    channels.consented("web", "web-handoff")
    sender = web_sender(client.app, "web-handoff")

    async def say(text: str) -> dict:
        resp = await client.post("/webhooks/web", json={"sender": sender, "message": text})
        return await resp.json()

    opened = await say("toi muon gap nguoi that")
    assert opened["handoff"] is True
    assert "tình nguyện viên" in opened["replies"][0]["text"]
    csrf = await login_volunteer(channels, "tnv.web")
    ref = ref_for(client.app, "web", "web", "web-handoff")
    handoff_id = channels.rows(f"SELECT id FROM handoffs WHERE user_ref = '{ref}'")[0][0]  # noqa: S608
    await client.post(f"/admin/handoffs/{handoff_id}/claim", data={"csrf": csrf})
    await client.post(
        f"/admin/handoffs/{handoff_id}/reply", data={"csrf": csrf, "text": "Mình nghe đây bạn."}
    )
    poll = await (await client.post("/webhooks/web/poll", json={"sender": sender})).json()
    assert [r["text"] for r in poll["replies"]][-1] == "Mình nghe đây bạn."
    assert poll["handoff"] is True
    again = await (await client.post("/webhooks/web/poll", json={"sender": sender})).json()
    assert again["replies"] == []  # handed over once
