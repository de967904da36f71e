"""Webhooks through the real app to the fake platforms: intake, dedupe, batches, replies."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from tests.channels.fresh import fresh, now_ms
from tests.fakes.channels import (
    APP_SECRET,
    PAGE_ID,
    VERIFY_TOKEN,
    Channels,
    fb_envelope,
    fb_text,
    zalo_event,
)


@pytest.mark.parametrize(
    ("mode", "token", "status"),
    [
        ("subscribe", VERIFY_TOKEN, 200),
        ("subscribe", "wrong", 403),
        ("unsubscribe", VERIFY_TOKEN, 403),
        ("", VERIFY_TOKEN, 403),
        ("subscribe", "", 403),
    ],
)
async def test_facebook_verification_handshake(
    channels: Channels, mode: str, token: str, status: int
) -> None:
    resp = await channels.client.get(
        "/webhooks/facebook",
        params={"hub.mode": mode, "hub.verify_token": token, "hub.challenge": "1158201444"},
    )
    assert resp.status == status
    if status == 200:
        assert await resp.text() == "1158201444"
        assert resp.content_type == "text/plain"


@pytest.mark.parametrize(
    ("signature", "status"),
    [(None, 401), ("sha256=" + "0" * 64, 403), ("sha1=abc", 403), ("garbage", 403)],
)
async def test_bad_facebook_signatures_are_refused_before_storing(
    channels: Channels, signature: str | None, status: int
) -> None:
    resp = await channels.post_facebook(fb_text("111", "xin chao", "m_bad"), signature=signature)
    assert resp.status == status
    assert channels.count("inbox") == 0
    assert channels.count("dead_letters") == 0


@pytest.mark.parametrize(("signature", "status"), [(None, 401), ("mac=" + "0" * 64, 403)])
async def test_bad_zalo_signatures_are_refused_before_storing(
    channels: Channels, signature: str | None, status: int
) -> None:
    body = zalo_event("user_send_text", "2468458835296117922", "z_bad", text="xin chao")
    resp = await channels.post_zalo(body, signature=signature)
    assert resp.status == status
    assert channels.count("inbox") == 0


async def test_facebook_text_is_acknowledged_then_answered(channels: Channels) -> None:
    started = time.perf_counter()
    resp = await channels.post_facebook(fb_text("7392015648120394", "chuyen doi so la gi", "m_1"))
    ack_ms = (time.perf_counter() - started) * 1000
    assert resp.status == 200
    assert ack_ms < 500
    sent = await channels.graph.wait_messages(2)
    assert sent[0].query["access_token"] == "fb-page-token"
    assert sent[0].body["recipient"] == {"id": "7392015648120394"}
    assert sent[0].body["messaging_type"] == "RESPONSE"
    assert sent[0].body["message"]["text"].startswith("Chuyển đổi số là")
    last = sent[-1].body["message"]
    assert "Nguồn: Quyết định 749/QĐ-TTg" in last["text"]
    assert [q["title"] for q in last["quick_replies"]] == ["Lợi ích", "Mục tiêu", "Ngày CĐS 10/10"]
    assert all(len(q["title"]) <= 20 for q in last["quick_replies"])
    # A typing indicator was shown while the turn ran.
    actions = [r.body.get("sender_action") for r in channels.graph.sent(channels.graph.MESSAGES)]
    assert "typing_on" in actions


async def test_quick_reply_payload_is_what_the_assistant_answers(channels: Channels) -> None:
    body = fb_text("7392015648120394", "Kích hoạt VNeID", "m_qr", quick_reply="/vneid_activate")
    assert (await channels.post_facebook(body)).status == 200
    sent = await channels.graph.wait_messages(1)
    assert "Kích hoạt tài khoản định danh điện tử" in sent[0].body["message"]["text"]


async def test_ten_concurrent_duplicates_make_one_turn(channels: Channels) -> None:
    channels.consented("facebook", "555")
    body = fb_text("555", "xin chào", "m_dup")
    responses = await asyncio.gather(*(channels.post_facebook(body) for _ in range(10)))
    assert [r.status for r in responses] == [200] * 10
    await channels.graph.wait_messages(2)
    await asyncio.sleep(0.5)  # give a wrongly duplicated turn the time to show up
    assert channels.count("inbox") == 1
    assert channels.count("messages", "direction = 'in'") == 1
    assert len(channels.graph.messages()) == 2  # the greeting is two messages, sent once


async def test_batch_every_event_is_handled_and_echo_read_are_not_turns(
    channels: Channels,
) -> None:
    channels.consented("facebook", "901", "902", "903")
    events = [
        fb_text(psid, "cam on ad", f"m_b{psid}")["entry"][0]["messaging"][0]
        for psid in ("901", "902", "903")
    ]
    echo = {
        "sender": {"id": PAGE_ID},
        "recipient": {"id": "901"},
        "timestamp": 1718000000200,
        "message": {"mid": "m_echo", "is_echo": True, "app_id": 1, "text": "hello"},
    }
    read = {"sender": {"id": "901"}, "recipient": {"id": PAGE_ID}, "read": {"watermark": 1}}
    assert (await channels.post_facebook(fb_envelope(*events, echo, read))).status == 200
    sent = await channels.graph.wait_messages(3)
    assert {r.body["recipient"]["id"] for r in sent} == {"901", "902", "903"}
    await asyncio.sleep(0.3)
    assert channels.count("inbox") == 3
    assert channels.count("messages", "direction = 'in'") == 3


async def test_replies_to_one_user_keep_the_order_of_the_questions(channels: Channels) -> None:
    channels.consented("facebook", "777")
    questions = ["xin chao", "chuyen doi so la gi", "vneid muc 2 dang ky o dau", "cam on"]
    for i, q in enumerate(questions):
        assert (await channels.post_facebook(fb_text("777", q, f"m_o{i}"))).status == 200
    sent = await channels.graph.wait_messages(2 + 2 + 2 + 1)
    texts = [r.body["message"]["text"] for r in sent]
    firsts = [
        next(i for i, t in enumerate(texts) if t.startswith(prefix))
        for prefix in ("Xin chào!", "Chuyển đổi số là", "Đăng ký VNeID mức 2", "Không có gì")
    ]
    assert firsts == sorted(firsts)


async def test_sticker_and_image_get_a_polite_reply(channels: Channels) -> None:
    channels.consented("facebook", "321", "322")
    sticker = fb_envelope(
        {
            "sender": {"id": "321"},
            "recipient": {"id": PAGE_ID},
            "timestamp": 1,
            "message": {
                "mid": "m_st",
                "attachments": [
                    {
                        "type": "image",
                        "payload": {"url": "https://x/y.png", "sticker_id": 369239263222822},
                    }
                ],
            },
        }
    )
    image = fb_envelope(
        {
            "sender": {"id": "322"},
            "recipient": {"id": PAGE_ID},
            "timestamp": 1,
            "message": {
                "mid": "m_img",
                "attachments": [{"type": "image", "payload": {"url": "https://x/z.jpg"}}],
            },
        }
    )
    assert (await channels.post_facebook(sticker)).status == 200
    assert (await channels.post_facebook(image)).status == 200
    sent = await channels.graph.wait_messages(3)
    by_user = {r.body["recipient"]["id"]: r.body["message"]["text"] for r in sent}
    assert "chưa nghe hay xem được nhãn dán" in by_user["321"]
    assert "lừa đảo" in " ".join(
        r.body["message"]["text"] for r in sent if r.body["recipient"]["id"] == "322"
    )


async def test_get_started_postback_gets_the_welcome(channels: Channels) -> None:
    postback = fb_envelope(
        {
            "sender": {"id": "654"},
            "recipient": {"id": PAGE_ID},
            "timestamp": 1,
            "postback": {"mid": "m_gs", "title": "Bắt đầu", "payload": "GET_STARTED"},
        }
    )
    assert (await channels.post_facebook(postback)).status == 200
    sent = await channels.graph.wait_messages(1)
    assert sent[0].body["message"]["text"].startswith("Xin chào!")


async def test_signed_but_unparseable_body_is_dead_lettered_and_acknowledged(
    channels: Channels,
) -> None:
    resp = await channels.post_facebook(b'{"object": "page", "entry": "nope"}')
    assert resp.status == 200
    assert channels.count("dead_letters", "direction = 'in'") == 1
    assert channels.count("inbox") == 0


async def test_body_over_the_cap_is_413(channels: Channels) -> None:
    raw = json.dumps(fb_text("1", "a" * 300_000, "m_big")).encode()
    resp = await channels.post_facebook(raw)
    assert resp.status == 413


async def test_zalo_text_follow_and_unfollow(channels: Channels) -> None:
    user = "2468458835296117922"
    follow = {
        "app_id": "3608465248940903967",
        "oa_id": "388613280878808645",
        "follower": {"id": user},
        "event_name": "follow",
        "source": "oa_profile",
        "timestamp": now_ms(),
    }
    assert (await channels.post_zalo(follow)).status == 200
    # A first contact: the welcome (two messages), then the consent notice with its buttons.
    sent = await channels.zalo.wait_for(channels.zalo.SEND, 3)
    assert sent[0].headers["access_token"] == "AT-1"
    assert sent[0].body["recipient"] == {"user_id": user}
    assert sent[0].body["message"]["text"].startswith("Xin chào!")
    notice = sent[2].body["message"]
    assert "mình xin lưu câu hỏi của bạn" in notice["text"]
    buttons = notice["attachment"]["payload"]["buttons"]
    assert [b["payload"] for b in buttons] == ["/consent_accept", "/consent_decline"]
    text = fresh(zalo_event("user_send_text", user, "z_1", text="lam sao kich hoat vneid"))
    assert (await channels.post_zalo(text)).status == 200
    sent = await channels.zalo.wait_for(channels.zalo.SEND, 4)
    assert "Kích hoạt tài khoản định danh điện tử" in sent[3].body["message"]["text"]
    buttons = sent[3].body["message"]["attachment"]["payload"]["buttons"]
    # Hidden: a tap must not show "/consent_accept" in the chat as the citizen's own words.
    assert {b["type"] for b in buttons} == {"oa.query.hide"}
    unfollow = dict(follow, event_name="unfollow", timestamp=now_ms(1))
    assert (await channels.post_zalo(unfollow)).status == 200
    await asyncio.sleep(0.2)
    assert channels.rows("SELECT followed FROM recipients") == [(0,)]
    assert channels.count("inbox", "kind = 'unfollow'") == 1


async def test_deliveries_and_reads_update_the_sent_message(channels: Channels) -> None:
    channels.consented("facebook", "4242")
    assert (await channels.post_facebook(fb_text("4242", "cam on", "m_d1"))).status == 200
    sent = await channels.graph.wait_messages(1)
    await asyncio.sleep(0.2)
    out_mid = channels.rows("SELECT platform_message_id FROM outbox")[0][0]
    assert out_mid
    delivery = {
        "sender": {"id": "4242"},
        "recipient": {"id": PAGE_ID},
        "delivery": {"mids": [out_mid], "watermark": 1},
    }
    assert (await channels.post_facebook(fb_envelope(delivery))).status == 200
    assert channels.rows("SELECT delivery FROM outbox") == [("delivered",)]
    read = {
        "sender": {"id": "4242"},
        "recipient": {"id": PAGE_ID},
        "timestamp": 2,
        "read": {"watermark": 4102444800000},
    }
    assert (await channels.post_facebook(fb_envelope(read))).status == 200
    assert channels.rows("SELECT delivery FROM outbox") == [("read",)]
    assert sent


async def test_raw_platform_ids_live_only_in_recipients(channels: Channels) -> None:
    channels.consented("facebook", "8765432109876543")
    assert (
        await channels.post_facebook(fb_text("8765432109876543", "xin chao", "m_p"))
    ).status == 200
    await channels.graph.wait_messages(2)
    await asyncio.sleep(0.2)
    for table in ("inbox", "outbox", "messages", "citizens", "conversations", "dead_letters"):
        dump = str(channels.rows(f"SELECT * FROM {table}"))  # noqa: S608
        assert "8765432109876543" not in dump
    assert channels.rows("SELECT platform_user_id FROM recipients") == [("8765432109876543",)]
    assert APP_SECRET


async def test_webhooks_are_acknowledged_and_kept_while_the_model_is_down(
    aiohttp_client, tmp_path, graph, zalo
) -> None:  # type: ignore[no-untyped-def]
    from bot.runtime.app import create_app
    from tests.fakes.channels import channel_settings

    settings = channel_settings(tmp_path, graph, zalo, MODEL_PATH=str(tmp_path / "none.tar.gz"))
    client = await aiohttp_client(create_app(settings))
    channels = Channels(client, settings, graph, zalo)
    assert (await client.get("/readyz")).status == 503
    assert (await channels.post_facebook(fb_text("1111", "xin chao", "m_down"))).status == 200
    await asyncio.sleep(0.3)
    assert channels.rows("SELECT status FROM inbox") == [("pending",)]
    assert graph.messages() == []
