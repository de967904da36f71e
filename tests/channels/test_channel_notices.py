"""What a page owner must hear about: Messenger policy notices, and the Zalo console's sample
events (they share one msg_id, so all but the first are dropped as duplicates)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.channels.fresh import fresh
from tests.fakes.channels import PAGE_ID, Channels, fb_envelope, zalo_event
from tests.web.test_metrics import value

REASON = "Trang của bạn đã vi phạm chính sách nhắn tin với người dùng 7392015648120394"


async def metrics(channels: Channels) -> str:
    return await (await channels.client.get("/metrics")).text()


async def test_messenger_policy_enforcement_is_logged_and_counted(
    channels: Channels, caplog: pytest.LogCaptureFixture
) -> None:
    notice = {
        "recipient": {"id": PAGE_ID},
        "timestamp": 1718000000300,
        "policy-enforcement": {"action": "block", "reason": REASON},
    }
    with caplog.at_level(logging.WARNING):
        assert (await channels.post_facebook(fb_envelope(notice))).status == 200
    lines = [r for r in caplog.records if "policy enforcement" in r.getMessage()]
    assert [r.levelno for r in lines] == [logging.WARNING]
    assert "block" in lines[0].getMessage()
    assert "7392015648120394" not in caplog.text  # the free-text reason is not logged
    text = await metrics(channels)
    assert value(text, "khdx_policy_enforcement_total", channel="facebook", action="block") == 1
    await asyncio.sleep(0.2)
    assert channels.count("inbox") == 0
    assert channels.graph.messages() == []


async def test_zalo_sample_events_sharing_a_msg_id_are_dropped_with_a_log_line(
    channels: Channels, caplog: pytest.LogCaptureFixture
) -> None:
    users = ("1001", "1002", "1003")
    channels.consented("zalo", *users)
    with caplog.at_level(logging.INFO, logger="bot.pipeline.inbox"):
        for user in users:
            sample = fresh(zalo_event("user_send_text", user, "sample_msg_id", text="cam on"))
            assert (await channels.post_zalo(sample)).status == 200
    # The first is answered once; the two others are said to be duplicates, not lost in silence.
    await channels.zalo.wait_for(channels.zalo.SEND, 1)
    await asyncio.sleep(0.5)
    assert [r.body["recipient"]["user_id"] for r in channels.zalo.sent(channels.zalo.SEND)] == [
        "1001"
    ]
    dropped = [r for r in caplog.records if "duplicate" in r.getMessage()]
    assert dropped and all(r.levelno == logging.INFO for r in dropped)
    assert "cam on" not in caplog.text
    text = await metrics(channels)
    assert value(text, "khdx_webhook_duplicates_dropped_total", channel="zalo") == 2
