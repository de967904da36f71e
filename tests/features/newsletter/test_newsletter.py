"""The newsletter through the real channel path: subscribing in chat, an admin previews and sends
an issue, delivery inside the messaging window only, unsubscribing stops delivery at once."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from datetime import datetime, timedelta, timezone

from bot.web import keys
from tests.fakes.channels import PAGE_ID, Channels, fb_text, login


async def csrf_of(channels: Channels, path: str) -> str:
    page = await (await channels.client.get(path)).text()
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


async def test_subscribe_preview_send_inside_the_window_and_unsubscribe(
    channels: Channels,
) -> None:
    graph, client = channels.graph, channels.client
    channels.consented("facebook", "9901", "9902", "9903")
    for psid in ("9901", "9902", "9903"):
        await channels.post_facebook(fb_text(psid, "đăng ký nhận bản tin", f"m_n{psid}"))
    sent = await graph.wait_messages(3)
    assert all("Đã đăng ký" in r.body["message"]["text"] for r in sent)
    # 9902 last wrote two days ago: outside Messenger's 24-hour window.
    old = (datetime.now(timezone.utc) - timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S.%f")
    ref_9902 = channels.rows("SELECT user_ref FROM recipients WHERE platform_user_id = '9902'")[0][
        0
    ]
    channels.rows(f"UPDATE recipients SET last_inbound_at = '{old}' WHERE user_ref = '{ref_9902}'")  # noqa: S608
    # 9903 changes their mind.
    await channels.post_facebook(fb_text("9903", "hủy nhận bản tin", "m_u9903"))
    sent = await graph.wait_messages(4)
    assert "Đã hủy" in sent[-1].body["message"]["text"]

    await login(channels)
    csrf = await csrf_of(channels, "/admin/newsletter")
    issue = {
        "csrf": csrf,
        "title": "Bản tin tháng 11/2026",
        "body": "Ngày 10/10 là Ngày Chuyển đổi số quốc gia. Cảnh giác cuộc gọi giả danh công an.",
        "link": "https://khanhhoa.gov.vn",
        "send_at": "",
    }
    preview = await (await client.post("/admin/newsletter/preview", data=issue)).text()
    assert "📰 Bản tin tháng 11/2026" in preview
    assert '<strong data-figure="inside">1</strong> người nhận' in preview
    assert '<strong data-figure="outside">1</strong> người ngoài thời gian cho phép' in preview
    assert len(graph.messages()) == 4  # a preview sends nothing
    resp = await client.post("/admin/newsletter", data=issue)
    done = await resp.text()
    assert "Đã gửi bản tin #1: 1 người nhận, 1 người ngoài thời gian cho phép." in done
    # Sent back to the page by GET: reloading it shows the result and sends nothing again.
    assert [r.status for r in resp.history] == [303]
    again = await (await client.get(str(resp.url.relative()))).text()
    assert "Đã gửi bản tin #1" in again
    sent = await graph.wait_messages(5)
    assert sent[-1].body["recipient"] == {"id": "9901"}
    assert sent[-1].body["messaging_type"] == "UPDATE"
    assert sent[-1].body["message"]["text"].startswith("📰 Bản tin tháng 11/2026")
    await asyncio.sleep(0.5)
    assert len(graph.messages()) == 5  # nobody outside the window, nobody unsubscribed
    # The issue's rows are of the newsletter's kind: its hook checks the subscription.
    kinds = channels.rows("SELECT DISTINCT kind FROM outbox WHERE issue_id = 1")
    assert kinds == [("newsletter",)]

    page = await (await client.get("/admin/newsletter")).text()
    row = re.search(r"<td>1</td><td>Bản tin</td><td>Bản tin tháng 11/2026</td>(.*?)</tr>", page)
    assert row is not None
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row.group(1))
    # Segment, status, subscribers, outside the window, sent.
    assert cells[:5] == ["Tất cả", "đã gửi", "2", "1", "1"]
    stats = await (await client.get("/admin/api/stats")).json()
    assert stats["newsletter"] == {
        "subscribers": 2,
        "issues": 1,
        "queued": 1,
        "skipped": 1,
        "sent": 1,
        "failed": 0,
        "cancelled": 0,
        "alerts": 0,
        "alerts_sent": 0,
    }
    # Latest issue on request.
    await channels.post_facebook(fb_text("9903", "có tin gì mới không", "m_l9903"))
    sent = await graph.wait_messages(6)
    assert sent[-1].body["message"]["text"].startswith("📰 Bản tin tháng 11/2026")


async def test_a_queued_issue_is_not_sent_to_someone_who_unsubscribed_meanwhile(
    channels: Channels,
) -> None:
    channels.consented("facebook", "9911")
    await channels.post_facebook(fb_text("9911", "đăng ký bản tin", "m_s9911"))
    await channels.graph.wait_messages(1)
    await asyncio.sleep(0.3)
    ref = channels.rows("SELECT user_ref FROM recipients")[0][0]
    registry = channels.client.app[keys.services_key].citizens
    citizen = await registry.get("facebook", ref)
    await registry.update(citizen, newsletter=False)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    with sqlite3.connect(channels.db) as conn:
        conn.execute(
            "INSERT INTO outbox (platform, page_id, user_ref, body, messaging_type, created_at,"
            " status, attempts, next_attempt_at, issue_id, kind)"
            " VALUES ('facebook', ?, ?, ?, 'UPDATE', ?, 'pending', 0, ?, 7, 'newsletter')",
            (PAGE_ID, ref, '{"text": "Bản tin"}', now, now),
        )
    channels.client.app[keys.relay_key].wake(None)
    await asyncio.sleep(1.5)
    assert len(channels.graph.messages()) == 1  # only the subscription reply
    assert channels.rows("SELECT status FROM outbox WHERE issue_id = 7") == [("cancelled",)]


async def test_a_returning_citizen_who_follows_the_oa_is_offered_the_newsletter(
    channels: Channels,
) -> None:
    user = "2468458835296117922"
    channels.consented("zalo", user)
    follow = {
        "app_id": "3608465248940903967",
        "oa_id": "388613280878808645",
        "follower": {"id": user},
        "event_name": "follow",
        "source": "oa_profile",
        "timestamp": str(int(time.time() * 1000)),
    }
    assert (await channels.post_zalo(follow)).status == 200
    sent = await channels.zalo.wait_for(channels.zalo.SEND, 3)
    offer = sent[-1].body["message"]
    assert "nhận bản tin chuyển đổi số" in offer["text"]
    buttons = offer["attachment"]["payload"]["buttons"]
    assert buttons[0]["payload"] == "/newsletter_subscribe"
