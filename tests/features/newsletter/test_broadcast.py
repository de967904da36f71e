"""Broadcasts to a segment through the real channel path: citizens of two communes on Zalo and
Messenger, an alert to one commune sent only inside the platforms' windows, the platforms'
delivery and read receipts raising the figures on the page, a topic segment, and bad input."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from tests.fakes.channels import (
    OA_ID,
    PAGE_ID,
    ZALO_APP_ID,
    Channels,
    fb_text,
    login,
    zalo_event,
)

CAM_LAM, NHA_TRANG = "Cam Lâm", "Nha Trang"
Z_CAM_LAM, Z_NHA_TRANG = "4218880001", "4218880002"


async def csrf_of(channels: Channels) -> str:
    page = await (await channels.client.get("/admin/newsletter")).text()
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


async def settled(channels: Channels, timeout: float = 30.0) -> None:
    """Every turn answered and every queued message sent (or given up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = channels.count("inbox", "status = 'pending'") + channels.count(
            "outbox", "status IN ('pending', 'sending')"
        )
        if busy == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("turns or sends still pending")


def figures(page: str, issue_id: int) -> dict[str, int]:
    row = re.search(rf'<tr id="issue-{issue_id}">(.*?)</tr>', page, re.S)
    assert row is not None, page
    return {k: int(v) for k, v in re.findall(r'data-figure="(\w+)">(\d+)<', row.group(1))}


def preview_counts(page: str) -> dict[str, int]:
    counts = re.search(r'<p id="preview-counts">(.*?)</p>', page, re.S)
    assert counts is not None, page
    return {k: int(v) for k, v in re.findall(r'data-figure="(\w+)">(\d+)<', counts.group(1))}


def ref_of(channels: Channels, user_id: str) -> str:
    rows = channels.rows(
        f"SELECT user_ref FROM recipients WHERE platform_user_id = '{user_id}'"  # noqa: S608
    )
    return str(rows[0][0])


def alerts_to(channels: Channels, user_id: str) -> list[str]:
    """The alert texts each platform received for `user_id`."""
    texts = [
        r.body["message"]["text"]
        for r in channels.graph.messages()
        if r.body["recipient"]["id"] == user_id
    ]
    texts += [
        r.body["message"]["text"]
        for r in channels.zalo.sent(channels.zalo.SEND)
        if r.body["recipient"]["user_id"] == user_id
    ]
    return [t for t in texts if t.startswith("⚠️ Cảnh báo")]


def form(csrf: str, **fields: Any) -> list[tuple[str, str]]:
    """A broadcast form: `communes` and `topics` are lists, repeated as the browser sends them."""
    data = [("csrf", csrf)]
    for c in fields.pop("communes", []):
        data.append(("commune", c))
    for t in fields.pop("topics", []):
        data.append(("topic", t))
    data += [(k, str(v)) for k, v in fields.items()]
    return data


ALERT = {
    "kind": "alert",
    "title": "Lừa đảo giả danh điện lực",
    "body": "Đang có cuộc gọi giả danh điện lực đòi tiền điện, yêu cầu cài ứng dụng lạ. "
    "Không bấm link, không chuyển tiền; gọi 19001909 để kiểm tra.",
    "link": "",
    "send_at": "",
    "days": "30",
}


async def test_an_alert_to_a_commune_inside_the_window_with_delivery_and_read_figures(
    channels: Channels,
) -> None:
    client, graph, zalo = channels.client, channels.graph, channels.zalo
    channels.consented("facebook", "8801", "8802", commune=CAM_LAM)
    channels.consented("facebook", "8803", commune=NHA_TRANG)
    channels.consented("zalo", Z_CAM_LAM, commune=CAM_LAM)
    channels.consented("zalo", Z_NHA_TRANG, commune=NHA_TRANG)
    for psid in ("8801", "8802", "8803"):
        await channels.post_facebook(fb_text(psid, "xin chào", f"m_hi{psid}"))
    for user in (Z_CAM_LAM, Z_NHA_TRANG):
        await channels.post_zalo(zalo_event("user_send_text", user, f"hi{user}", text="xin chào"))
    await graph.wait_messages(3)
    await zalo.wait_for(zalo.SEND, 2)
    await settled(channels)
    # 8802 (Cam Lâm) last wrote two days ago: outside Messenger's 24-hour window.
    old = (datetime.now(timezone.utc) - timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S.%f")
    channels.rows(
        f"UPDATE recipients SET last_inbound_at = '{old}'"  # noqa: S608
        f" WHERE user_ref = '{ref_of(channels, '8802')}'"
    )
    sent_before = len(graph.messages()) + len(zalo.sent(zalo.SEND))

    await login(channels)
    csrf = await csrf_of(channels)
    alert = form(csrf, communes=[CAM_LAM], **ALERT)
    resp = await client.post("/admin/newsletter/preview", data=alert)
    assert resp.status == 200
    preview = await resp.text()
    assert "⚠️ Cảnh báo: Lừa đảo giả danh điện lực" in preview
    assert "Nhóm nhận: Xã Cam Lâm" in preview
    assert preview_counts(preview) == {"targeted": 3, "inside": 2, "outside": 1}
    await asyncio.sleep(0.3)
    assert len(graph.messages()) + len(zalo.sent(zalo.SEND)) == sent_before  # nothing sent

    done = await (await client.post("/admin/newsletter", data=alert)).text()
    assert "Đã gửi cảnh báo #1: 2 người nhận, 1 người ngoài thời gian cho phép." in done
    await settled(channels)
    assert len(alerts_to(channels, "8801")) == 1
    assert len(alerts_to(channels, Z_CAM_LAM)) == 1
    # Not outside the window, not to the other commune.
    assert alerts_to(channels, "8802") == []
    assert alerts_to(channels, "8803") == []
    assert alerts_to(channels, Z_NHA_TRANG) == []
    fb_alert = [r for r in graph.messages() if r.body["recipient"]["id"] == "8801"][-1]
    assert fb_alert.body["messaging_type"] == "UPDATE"  # inside the 24 h window, no tag
    assert "quick_replies" not in fb_alert.body["message"]  # no unsubscribe: not the newsletter
    assert channels.rows("SELECT action, rows FROM audit_log WHERE action LIKE 'broadcast%'") == [
        ("broadcast_alert", 2)
    ]

    page = await (await client.get("/admin/newsletter")).text()
    assert "Lừa đảo giả danh điện lực</td><td>Xã Cam Lâm</td>" in page
    assert figures(page, 1) == {
        "targeted": 3,
        "outside": 1,
        "sent": 2,
        "delivered": 0,
        "read": 0,
        "failed": 0,
        "cancelled": 0,
    }
    # The platforms report the messages reached the phones...
    assert (await channels.post_facebook(graph.delivery("8801", PAGE_ID))).status == 200
    received = zalo.receipt("user_received_message", Z_CAM_LAM, ZALO_APP_ID, OA_ID)
    assert (await channels.post_zalo(received)).status == 200
    page = await (await client.get("/admin/newsletter")).text()
    assert (figures(page, 1)["delivered"], figures(page, 1)["read"]) == (2, 0)
    # ...then that they were read (Messenger by a watermark, Zalo by the message ids).
    assert (await channels.post_facebook(graph.read("8801", PAGE_ID))).status == 200
    seen = zalo.receipt("user_seen_message", Z_CAM_LAM, ZALO_APP_ID, OA_ID)
    assert (await channels.post_zalo(seen)).status == 200
    page = await (await client.get("/admin/newsletter")).text()
    assert (figures(page, 1)["delivered"], figures(page, 1)["read"]) == (2, 2)
    # Receipts are never turns: nothing more was said to anyone.
    await settled(channels)
    assert len(alerts_to(channels, "8801")) == 1
    # The dashboard's figures count the alert apart from newsletter issues.
    stats = await (await client.get("/admin/api/stats")).json()
    assert (stats["newsletter"]["alerts"], stats["newsletter"]["alerts_sent"]) == (1, 2)
    assert stats["newsletter"]["issues"] == 0


async def test_a_topic_segment_picks_those_who_asked_about_it(channels: Channels) -> None:
    client, graph = channels.client, channels.graph
    channels.consented("facebook", "8811", "8812")
    await channels.post_facebook(fb_text("8811", "chuyen doi so la gi", "m_t8811"))
    await channels.post_facebook(fb_text("8812", "vneid muc 2 dang ky o dau", "m_t8812"))
    await graph.wait_messages(2)
    await settled(channels)
    topics = dict(
        channels.rows("SELECT user_ref, topic FROM messages WHERE direction = 'in'")  # noqa: S608
    )
    assert topics[ref_of(channels, "8811")] == "dx_basics"
    assert topics[ref_of(channels, "8812")] == "vneid"

    await login(channels)
    csrf = await csrf_of(channels)
    alert = form(csrf, topics=["vneid"], **{**ALERT, "title": "Ứng dụng VNeID giả mạo"})
    preview = await (await client.post("/admin/newsletter/preview", data=alert)).text()
    assert "đã hỏi về" in preview and "(30 ngày qua)" in preview
    assert preview_counts(preview) == {"targeted": 1, "inside": 1, "outside": 0}
    done = await (await client.post("/admin/newsletter", data=alert)).text()
    assert "Đã gửi cảnh báo #1: 1 người nhận" in done
    await settled(channels)
    assert [t.split("\n")[0] for t in alerts_to(channels, "8812")] == [
        "⚠️ Cảnh báo: Ứng dụng VNeID giả mạo"
    ]
    assert alerts_to(channels, "8811") == []

    # A newsletter issue goes to subscribers only: nobody in this segment subscribed yet.
    issue = form(csrf, topics=["vneid"], **{**ALERT, "kind": "newsletter", "title": "Bản tin"})
    resp = await client.post("/admin/newsletter/preview", data=issue)
    assert resp.status == 400
    assert "không có người đăng ký nhận bản tin nào trong nhóm nhận đã chọn" in await resp.text()
    channels.rows(
        f"UPDATE citizens SET newsletter = 1 WHERE user_ref = '{ref_of(channels, '8812')}'"  # noqa: S608
    )
    preview = await (await client.post("/admin/newsletter/preview", data=issue)).text()
    assert preview_counts(preview) == {"targeted": 1, "inside": 1, "outside": 0}
    # Both parts chosen: a citizen must match each (nobody asked about VNeID in Cam Lâm).
    both = form(csrf, communes=[CAM_LAM], topics=["vneid"], **ALERT)
    resp = await client.post("/admin/newsletter", data=both)
    assert resp.status == 400
    assert "không có người đã đồng ý lưu dữ liệu nào trong nhóm nhận đã chọn" in await resp.text()
    assert channels.count("newsletter_issues") == 1


async def test_bad_broadcasts_get_a_clear_message_and_nothing_is_sent(channels: Channels) -> None:
    client = channels.client
    channels.consented("facebook", "8821", commune=CAM_LAM)
    await channels.post_facebook(fb_text("8821", "xin chào", "m_b8821"))
    await channels.graph.wait_messages(1)
    await settled(channels)
    sent_before = len(channels.graph.messages())
    await login(channels)
    csrf = await csrf_of(channels)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"body": ""}, "nội dung không được để trống"),
        ({"body": "   "}, "nội dung không được để trống"),
        ({"title": ""}, "tiêu đề cần 1-120 ký tự"),
        ({"body": "Cảnh giác. " * 200}, "quá giới hạn 2000 ký tự một tin của Zalo và Messenger"),
        ({"kind": "quảng cáo"}, "hãy chọn loại tin"),
        ({"link": "javascript:alert(1)"}, "đường link phải bắt đầu bằng https://"),
        ({"days": "không"}, "số ngày cần từ 1 đến 365"),
        ({"days": "0"}, "số ngày cần từ 1 đến 365"),
        ({"communes": ["Hà Nội"]}, "không có trong danh sách 65 xã, phường"),
        ({"topics": ["lottery"]}, "chủ đề đã chọn không có trong danh sách"),
        ({"communes": [NHA_TRANG]}, "không có người đã đồng ý lưu dữ liệu nào"),
        ({"send_at": "ngày mai"}, "thời gian hẹn không hợp lệ"),
    ]
    for change, expected in cases:
        data = form(csrf, **{**ALERT, **change})
        for path in ("/admin/newsletter/preview", "/admin/newsletter"):
            if path.endswith("preview") and "send_at" in change:
                continue  # the time is read only when sending
            resp = await client.post(path, data=data)
            page = await resp.text()
            assert resp.status == 400, (change, path)
            assert expected in page, (change, path)
            assert 'role="alert"' in page
    assert channels.count("newsletter_issues") == 0
    # Everyone in the segment is outside the window: an immediate send is refused, not queued.
    old = (datetime.now(timezone.utc) - timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S.%f")
    channels.rows(f"UPDATE recipients SET last_inbound_at = '{old}'")  # noqa: S608
    resp = await client.post("/admin/newsletter", data=form(csrf, communes=[CAM_LAM], **ALERT))
    assert resp.status == 400
    assert "đều ngoài thời gian nền tảng cho phép gửi" in await resp.text()
    assert channels.count("newsletter_issues") == 0
    await asyncio.sleep(0.3)
    assert len(channels.graph.messages()) == sent_before
