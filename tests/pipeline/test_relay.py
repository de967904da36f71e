"""Outbound: retries with backoff, rate limits, dead letters, Zalo token refresh single-flight."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import aiohttp
import pytest

from bot.channels import send as sending
from bot.channels.base import SendResult
from bot.channels.facebook import adapter as fb
from bot.channels.zalo.send import ZaloSender
from bot.channels.zalo.tokens import TokenPair
from bot.web import keys
from tests.fakes.channels import Channels, fb_text, zalo_event
from tests.fakes.platforms import Scripted


async def test_5xx_then_success_is_delivered_once(channels: Channels) -> None:
    channels.consented("facebook", "1001")
    graph = channels.graph
    graph.script(graph.MESSAGES, Scripted(500, {"error": {"code": 1}}), Scripted(502, {}))
    assert (await channels.post_facebook(fb_text("1001", "cam on", "m_r1"))).status == 200
    sent = await graph.wait_messages(3)
    await asyncio.sleep(0.3)
    assert len(graph.messages()) == 3  # two failures, one success, nothing more
    assert sent[-1].body["message"]["text"].startswith("Không có gì")
    assert channels.rows("SELECT status, attempts FROM outbox") == [("sent", 3)]


async def test_connection_refused_is_retried(channels: Channels) -> None:
    channels.consented("facebook", "1002")
    # Point the sender at a closed port first, then at the fake: like an outage that ends.
    sender = channels.client.app[keys.senders_key]["facebook"]
    real_url = sender._url  # noqa: SLF001
    sender._url = "http://127.0.0.1:9/v21.0/me/messages"  # noqa: SLF001
    assert (await channels.post_facebook(fb_text("1002", "cam on", "m_r2"))).status == 200
    for _ in range(100):
        if (
            channels.rows("SELECT attempts FROM outbox")
            and channels.rows("SELECT attempts FROM outbox")[0][0] >= 2
        ):
            break
        await asyncio.sleep(0.05)
    sender._url = real_url  # noqa: SLF001
    await channels.graph.wait_messages(1)
    await asyncio.sleep(0.2)
    assert channels.rows("SELECT status FROM outbox") == [("sent",)]


async def test_rate_limit_pauses_then_retries(
    channels: Channels, monkeypatch: pytest.MonkeyPatch
) -> None:
    channels.consented("facebook", "1003")
    graph = channels.graph
    graph.script(
        graph.MESSAGES,
        Scripted(
            400,
            {"error": {"code": 613, "message": "Calls to this API have exceeded the rate limit"}},
        ),
    )
    # A short pause keeps the test quick; the mapping (613 -> retry later) is what matters.
    original = fb.classify_response

    def quick(status: int, body: object) -> SendResult:
        result = original(status, body)
        return replace(result, retry_after_s=0.2) if result.retry_after_s else result

    monkeypatch.setattr(fb, "classify_response", quick)
    assert (await channels.post_facebook(fb_text("1003", "cam on", "m_r3"))).status == 200
    await graph.wait_messages(2)
    await asyncio.sleep(0.2)
    assert channels.rows("SELECT status, attempts FROM outbox") == [("sent", 2)]


async def test_outside_window_goes_to_dead_letters_without_retry(channels: Channels) -> None:
    channels.consented("facebook", "1004")
    graph = channels.graph
    error = {
        "error": {"message": "outside of allowed window", "code": 10, "error_subcode": 2018278}
    }
    graph.script(graph.MESSAGES, Scripted(400, error))
    assert (await channels.post_facebook(fb_text("1004", "cam on", "m_r4"))).status == 200
    await graph.wait_messages(1)
    await asyncio.sleep(0.5)
    assert len(graph.messages()) == 1
    assert channels.rows("SELECT status FROM outbox") == [("dead",)]
    reasons = channels.rows("SELECT direction, reason, body FROM dead_letters")
    assert reasons[0][0] == "out"
    assert "2018278" in reasons[0][1]
    assert "1004" not in reasons[0][2]  # the body kept for admins holds no raw id


async def test_zalo_user_not_interacted_is_permanent(channels: Channels) -> None:
    channels.consented("zalo", "2468458835296117922")
    zalo = channels.zalo
    zalo.script(zalo.SEND, Scripted(200, {"error": -230, "message": "User has not interacted"}))
    user = "2468458835296117922"
    body = zalo_event("user_send_text", user, "z_w1", text="cam on")
    assert (await channels.post_zalo(body)).status == 200
    await zalo.wait_for(zalo.SEND, 1)
    await asyncio.sleep(0.5)
    assert len(zalo.sent(zalo.SEND)) == 1
    assert channels.rows("SELECT status FROM outbox") == [("dead",)]


async def test_expired_zalo_token_is_refreshed_and_the_send_retried(channels: Channels) -> None:
    channels.consented("zalo", "2468458835296117922")
    zalo = channels.zalo
    zalo.valid_tokens = {"AT-other"}  # the configured AT-1 has expired on the server
    user = "2468458835296117922"
    assert (
        await channels.post_zalo(zalo_event("user_send_text", user, "z_t1", text="cam on"))
    ).status == 200
    await zalo.wait_for(zalo.SEND, 2)
    await asyncio.sleep(0.3)
    assert len(zalo.sent(zalo.OAUTH)) == 1
    oauth = zalo.sent(zalo.OAUTH)[0]
    assert oauth.headers["secret_key"] == "zalo-app-secret"
    assert oauth.body == {
        "refresh_token": "RT-1",
        "app_id": "3608465248940903967",
        "grant_type": "refresh_token",
    }
    assert channels.rows("SELECT status FROM outbox") == [("sent",)]
    # The rotated pair was stored.
    assert channels.rows("SELECT access_token, refresh_token FROM zalo_tokens") == [
        ("AT-new1", "RT-new1")
    ]


async def test_fifty_concurrent_sends_with_an_expired_token_refresh_once(
    channels: Channels,
) -> None:
    zalo = channels.zalo
    zalo.valid_tokens = set()  # AT-1 rejected
    app = channels.client.app
    sender = app[keys.senders_key]["zalo"]
    assert isinstance(sender, ZaloSender)
    results = await asyncio.gather(
        *(sender.send(f"user{i}", {"message": {"text": f"tin {i}"}}) for i in range(50))
    )
    assert all(r.ok for r in results), [r.error for r in results if not r.ok][:3]
    assert len(zalo.sent(zalo.OAUTH)) == 1
    assert app[keys.zalo_tokens_key].refresh_count == 1


async def test_refresh_refused_by_oauth_keeps_the_old_pair(channels: Channels) -> None:
    zalo = channels.zalo
    zalo.valid_tokens = set()
    zalo.refresh_tokens = set()  # the refresh token was lost: OAuth answers an error with 200
    sender = channels.client.app[keys.senders_key]["zalo"]
    with pytest.raises(Exception, match="refused"):
        await sender.send("u1", {"message": {"text": "x"}})
    assert channels.rows("SELECT access_token, refresh_token FROM zalo_tokens") == [
        ("AT-1", "RT-1")
    ]


async def test_token_refreshed_before_expiry(channels: Channels) -> None:
    app = channels.client.app
    tokens = app[keys.zalo_tokens_key]
    soon = datetime.now(timezone.utc) + timedelta(minutes=30)
    await tokens.store(TokenPair("AT-1", "RT-1", soon))
    assert await tokens.access_token() == "AT-new1"
    assert len(channels.zalo.sent(channels.zalo.OAUTH)) == 1


async def test_timeout_after_sending_is_recorded_unknown_not_resent(
    channels: Channels, monkeypatch: pytest.MonkeyPatch
) -> None:
    channels.consented("facebook", "1005")
    graph = channels.graph
    monkeypatch.setattr(sending, "SEND_TIMEOUT", aiohttp.ClientTimeout(total=0.3))
    graph.script(graph.MESSAGES, Scripted(200, None, delay_s=1.0))
    assert (await channels.post_facebook(fb_text("1005", "cam on", "m_r5"))).status == 200
    await graph.wait_messages(1)
    await asyncio.sleep(1.0)
    assert len(graph.messages()) == 1
    assert channels.rows("SELECT status FROM outbox") == [("unknown",)]
