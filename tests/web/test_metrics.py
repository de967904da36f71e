"""`GET /metrics` reflects what went through the channels."""

from __future__ import annotations

import asyncio
import re

from tests.fakes.channels import Channels, fb_text
from tests.fakes.platforms import Scripted


def value(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        got = ",".join(sorted((match.group(2) or "").split(","))) if match.group(2) else ""
        if got == wanted:
            return float(match.group(3))
    return 0.0


async def test_metrics_count_traffic_errors_and_dead_letters(channels: Channels) -> None:
    channels.consented("facebook", "3001", "3002")
    graph = channels.graph
    graph.script(graph.MESSAGES, Scripted(400, {"error": {"code": 10, "error_subcode": 2018278}}))
    assert (await channels.post_facebook(fb_text("3001", "cam on", "m_m1"))).status == 200
    assert (await channels.post_facebook(fb_text("3002", "cam on", "m_m2"))).status == 200
    assert (
        await channels.post_facebook(fb_text("3003", "x", "m_bad"), signature="sha256=00")
    ).status == 403
    await graph.wait_messages(2)
    await asyncio.sleep(0.3)
    resp = await channels.client.get("/metrics")
    assert resp.status == 200
    assert resp.content_type == "text/plain"
    text = await resp.text()
    assert value(text, "khdx_messages_in_total", channel="facebook") == 2
    assert value(text, "khdx_messages_out_total", channel="facebook", outcome="sent") == 1
    assert value(text, "khdx_messages_out_total", channel="facebook", outcome="dead") == 1
    assert value(text, "khdx_dead_letters_total", channel="facebook", direction="out") == 1
    assert value(text, "khdx_errors_total", kind="webhook_bad_signature") == 1
    assert value(text, "khdx_turn_latency_seconds_count", channel="facebook") == 2
    assert value(text, "khdx_webhook_ack_seconds_count", channel="facebook") == 2
    assert value(text, "khdx_outbox_depth") == 0
    assert "3001" not in text  # figures only
