"""Signed webhooks with bad input: nested too deep, lone surrogates, replays, no sender.

Each is what a platform (or someone holding a captured body) could send: the answer is never a
5xx the platform would retry forever, and nothing is answered that should not be.
"""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from bot.channels.zalo.signing import zalo_signature
from tests.channels.fresh import fresh
from tests.fakes.channels import (
    OA_ID,
    PAGE_ID,
    ZALO_APP_ID,
    ZALO_OA_SECRET,
    Channels,
    fb_envelope,
    fb_text,
    zalo_event,
)
from tests.web.test_metrics import value

DEEP = b"[" * 100_000
ZALO_USER = "2468458835296117922"
# 2020-01-01T00:00:00Z: a signed event captured long ago and sent again.
STAMP_2020 = "1577836800000"
# What is kept of a consenting citizen's question (masked), after the turn.
IN_TEXT = "SELECT text FROM messages WHERE direction = 'in'"


async def metrics(channels: Channels) -> str:
    return await (await channels.client.get("/metrics")).text()


async def post_zalo_raw(channels: Channels, raw: bytes, timestamp: str = ""):  # type: ignore[no-untyped-def]
    """A raw Zalo body signed as Zalo would: a body without a timestamp signs an empty one."""
    headers = {"X-ZEvent-Signature": zalo_signature(ZALO_APP_ID, raw, timestamp, ZALO_OA_SECRET)}
    return await channels.client.post("/webhooks/zalo", data=raw, headers=headers)


@pytest.mark.parametrize("platform", ["facebook", "zalo"])
async def test_signed_body_nested_too_deep_is_a_dead_letter_not_a_500(
    channels: Channels, platform: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        if platform == "facebook":
            resp = await channels.post_facebook(DEEP)
        else:
            resp = await post_zalo_raw(channels, DEEP)
    # Answered, so the platform stops retrying a body that can never be read.
    assert resp.status == 200
    assert channels.count("dead_letters", f"platform = '{platform}' AND direction = 'in'") == 1
    assert channels.count("inbox") == 0
    assert (
        value(await metrics(channels), "khdx_dead_letters_total", channel=platform, direction="in")
        == 1
    )
    assert "[[[" not in caplog.text  # logged without the body


async def test_signed_envelope_with_a_deep_value_inside_is_a_dead_letter(
    channels: Channels,
) -> None:
    raw = json.dumps(fb_text("4401", "xin chao", "m_deep"))[:-1].encode() + b',"x":' + DEEP + b"}"
    resp = await channels.post_facebook(raw)
    assert resp.status == 200
    assert channels.count("dead_letters") == 1


async def test_lone_surrogate_in_facebook_text_is_stored_and_answered(
    channels: Channels,
) -> None:
    channels.consented("facebook", "4402")
    raw = json.dumps(fb_text("4402", "cam on \ud800 ad", "m_sur")).encode()
    assert b"\\ud800" in raw  # the escape a JSON encoder writes for a lone surrogate
    assert (await channels.post_facebook(raw)).status == 200
    # The platform's retry of the same body is answered too, and stored once.
    assert (await channels.post_facebook(raw)).status == 200
    sent = await channels.graph.wait_messages(1)
    assert sent[0].body["recipient"] == {"id": "4402"}
    await asyncio.sleep(0.3)
    assert channels.count("inbox") == 1
    assert channels.rows(IN_TEXT) == [("cam on \ufffd ad",)]
    assert len(channels.graph.messages()) == 1


async def test_lone_surrogate_in_zalo_text_and_sender_is_stored_and_answered(
    channels: Channels,
) -> None:
    channels.consented("zalo", ZALO_USER)
    body = fresh(zalo_event("user_send_text", ZALO_USER, "z_sur\udfff", text="\ud83d cam on"))
    assert (await channels.post_zalo(body)).status == 200
    sent = await channels.zalo.wait_for(channels.zalo.SEND, 1)
    assert sent[0].body["recipient"] == {"user_id": ZALO_USER}
    await asyncio.sleep(0.3)
    assert channels.rows(IN_TEXT) == [("\ufffd cam on",)]


@pytest.mark.parametrize(("stamp", "offset_s"), [(STAMP_2020, 0.0), (None, 2 * 86400.0)])
async def test_signed_zalo_event_outside_the_replay_window_is_not_answered(
    channels: Channels, caplog: pytest.LogCaptureFixture, stamp: str | None, offset_s: float
) -> None:
    channels.consented("zalo", ZALO_USER)
    body = fresh(zalo_event("user_send_text", ZALO_USER, "z_old", text="cam on"), offset_s)
    if stamp is not None:
        body["timestamp"] = stamp
    with caplog.at_level(logging.WARNING):
        resp = await channels.post_zalo(body)
    # Acknowledged: a refusal would only make Zalo retry the same stale body, then disable
    # the webhook.
    assert resp.status == 200
    await asyncio.sleep(0.5)
    assert channels.count("inbox") == 0
    assert channels.zalo.sent(channels.zalo.SEND) == []
    text = await metrics(channels)
    assert (
        value(text, "khdx_webhook_events_refused_total", channel="zalo", reason="replay_window")
        == 1
    )
    assert "replay_window" in caplog.text
    assert "cam on" not in caplog.text
    # The same message sent now is answered.
    again = fresh(zalo_event("user_send_text", ZALO_USER, "z_new", text="cam on"))
    assert (await channels.post_zalo(again)).status == 200
    await channels.zalo.wait_for(channels.zalo.SEND, 1)


@pytest.mark.parametrize("sender", [{}, {"id": ""}, {"id": "  "}, {"id": None}])
async def test_signed_zalo_text_without_a_sender_is_acknowledged_never_answered(
    channels: Channels, caplog: pytest.LogCaptureFixture, sender: dict[str, object]
) -> None:
    body = fresh(zalo_event("user_send_text", ZALO_USER, "z_nos", text="xin chao"))
    body["sender"] = sender
    with caplog.at_level(logging.WARNING):
        assert (await channels.post_zalo(body)).status == 200
        assert (await channels.post_zalo(body)).status == 200  # a retry: refused again
    await asyncio.sleep(0.5)
    assert channels.zalo.sent(channels.zalo.SEND) == []
    assert channels.count("inbox") == 0
    assert channels.count("recipients") == 0
    text = await metrics(channels)
    assert (
        value(text, "khdx_webhook_events_refused_total", channel="zalo", reason="no_sender") == 2
    )
    # Logged (Rasa's filter folds a repeat of the very same line into the first).
    assert "zalo text event not processed: no_sender" in caplog.text


async def test_signed_facebook_message_without_a_sender_is_never_answered(
    channels: Channels,
) -> None:
    no_sender = {
        "recipient": {"id": PAGE_ID},
        "timestamp": 1,
        "message": {"mid": "m_ns", "text": "hi"},
    }
    null_sender = dict(no_sender, sender={"id": None}, message={"mid": "m_nn", "text": "hi"})
    channels.consented("facebook", "4403")
    good = fb_text("4403", "cam on", "m_ok")["entry"][0]["messaging"][0]
    assert (await channels.post_facebook(fb_envelope(no_sender, null_sender, good))).status == 200
    sent = await channels.graph.wait_messages(1)
    await asyncio.sleep(0.5)
    assert [r.body["recipient"]["id"] for r in channels.graph.messages()] == ["4403"]
    assert sent
    assert channels.count("inbox") == 1
    text = await metrics(channels)
    assert (
        value(text, "khdx_webhook_events_refused_total", channel="facebook", reason="no_sender")
        == 2
    )


async def test_zalo_follow_without_a_follower_is_not_recorded(channels: Channels) -> None:
    follow = fresh({"app_id": ZALO_APP_ID, "oa_id": OA_ID, "event_name": "follow", "follower": {}})
    assert (await channels.post_zalo(follow)).status == 200
    await asyncio.sleep(0.3)
    assert channels.count("inbox") == 0
    assert channels.zalo.sent(channels.zalo.SEND) == []


@pytest.mark.parametrize(
    "event",
    [
        {"sender": {"id": "4404"}, "recipient": {"id": PAGE_ID}, "read": {"watermark": 1e999}},
        {"sender": {"id": "4404"}, "recipient": {"id": PAGE_ID}, "delivery": {"mids": 5}},
    ],
)
async def test_signed_facebook_numbers_and_shapes_out_of_range_are_no_500(
    channels: Channels, event: dict[str, object]
) -> None:
    raw = json.dumps(fb_envelope(dict(event, timestamp=1e999))).encode()
    assert b"Infinity" in raw
    assert (await channels.post_facebook(raw)).status == 200
