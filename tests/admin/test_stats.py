"""The dashboard and /admin/api/stats agree with what was sent, and show no personal data."""

from __future__ import annotations

import asyncio
import time

from tests.fakes.channels import Channels, fb_text, login, web_sender, zalo_event


async def test_stats_match_the_traffic(channels: Channels) -> None:
    client = channels.client
    assert (await client.get("/admin/api/stats")).status == 401
    psids = ["6000000000000001", "6000000000000002", "6000000000000003"]
    channels.consented("facebook", *psids)
    channels.consented("zalo", "2468458835296117922")
    channels.consented("web", "web-stats")
    for i, psid in enumerate(psids):
        assert (
            await channels.post_facebook(fb_text(psid, "chuyen doi so la gi", f"m_s{i}"))
        ).status == 200
    assert (await channels.post_facebook(fb_text(psids[0], "rat huu ich", "m_s9"))).status == 200
    assert (
        await channels.post_facebook(fb_text(psids[1], "gia vang hom nay", "m_s8"))
    ).status == 200
    follow = {
        "app_id": "3608465248940903967",
        "oa_id": "388613280878808645",
        "follower": {"id": "2468458835296117922"},
        "event_name": "follow",
        "timestamp": str(int(time.time() * 1000)),
    }
    assert (await channels.post_zalo(follow)).status == 200
    text = zalo_event("user_send_text", "2468458835296117922", "z_s1", text="cam on")
    assert (await channels.post_zalo(text)).status == 200
    web = web_sender(client.app, "web-stats")
    for message in ("xin chao", "vneid muc 2 dang ky o dau"):
        resp = await client.post("/webhooks/web", json={"sender": web, "message": message})
        assert resp.status == 200
    await channels.graph.wait_messages(7)
    await channels.zalo.wait_for(channels.zalo.SEND, 3)
    await asyncio.sleep(0.5)

    await login(channels)
    stats = await (await client.get("/admin/api/stats")).json()
    assert stats["messages"] == 5 + 2 + 2  # facebook, zalo (follow + text), web
    assert stats["users"] == 3 + 1 + 1
    fb_sent, zalo_sent = channels.graph.messages(), channels.zalo.sent(channels.zalo.SEND)
    assert stats["by_channel"]["facebook"] == {
        "messages": 5,
        "users": 3,
        "replies": len(fb_sent),
    }
    assert stats["by_channel"]["zalo"] == {"messages": 2, "users": 1, "replies": len(zalo_sent)}
    assert stats["by_channel"]["web"]["messages"] == 2
    assert stats["conversations"] == 3 + 1 + 1
    assert stats["anonymous_messages"] == 0
    assert stats["unanswered"] == [{"text": "gia vang hom nay", "count": 1}]
    assert stats["by_topic"]["dx_basics"] == 3
    assert stats["by_topic"]["out_of_scope"] == 1
    assert stats["fallbacks"] == 1
    assert stats["satisfaction"]["helpful"] == 1
    assert stats["satisfaction"]["by_topic"] == {"dx_basics": {"helpful": 1, "not_helpful": 0}}
    assert stats["followers"] == {"new": 1, "left": 0}
    assert sum(d["messages"] for d in stats["per_day"]) == stats["messages"]

    page = await client.get("/admin")
    html = await page.text()
    assert 'id="total-messages">9<' in html
    daily = html[html.index('<svg id="chart-daily"') :]
    daily = daily[: daily.index("</svg>")]
    assert daily.count("<rect") == len(stats["per_day"])  # one bar per day of the period
    # Topics and channels by their Vietnamese names, never the ids the API keeps.
    assert "<td>Kiến thức cơ bản về chuyển đổi số</td><td>3</td>" in html
    assert "<td>Ngoài phạm vi</td><td>1</td>" in html
    assert "<td>Zalo OA</td><td>2</td>" in html
    assert "dx_basics" not in html and "out_of_scope" not in html
    for raw in (*psids, "2468458835296117922", "web-stats"):
        assert raw not in html
        assert raw not in str(stats)


async def test_range_is_bounded_and_validated(channels: Channels) -> None:
    await login(channels)
    too_long = await channels.client.get("/admin/api/stats?from=2024-01-01&to=2026-01-01")
    assert too_long.status == 400
    bad = await channels.client.get("/admin/api/stats?from=hom-qua")
    assert bad.status == 400
    ok = await channels.client.get("/admin/api/stats?from=2026-10-01&to=2026-10-31")
    assert ok.status == 200
    assert len((await ok.json())["per_day"]) == 31


def test_days_are_counted_in_vietnam_time() -> None:
    from datetime import date, datetime, timezone

    from bot.admin.stats import Period

    begin, end = Period(date(2026, 10, 1), date(2026, 10, 31)).bounds
    assert begin == datetime(2026, 9, 30, 17, 0, tzinfo=timezone.utc)
    assert end == datetime(2026, 10, 31, 17, 0, tzinfo=timezone.utc)
