"""The campaign features in the web chat: events by commune, the writing contest submission,
the latest newsletter issue (the web chat cannot receive broadcasts, and says so)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from aiohttp.test_utils import TestClient

from bot.web import keys
from tests.fakes.channels import web_sender


async def say(client: TestClient, message: str, sender: str = "web-campaign") -> str:
    resp = await client.post(
        "/webhooks/web", json={"sender": web_sender(client.app, sender), "message": message}
    )
    assert resp.status == 200
    replies: list[dict[str, Any]] = (await resp.json())["replies"]
    return "\n".join(r["text"] for r in replies)


async def test_events_contest_and_newsletter_in_the_web_chat(client: TestClient) -> None:
    app = client.app
    soon = datetime.now(timezone.utc) + timedelta(days=2)
    await (
        app[keys.features_key]
        .desk("events")
        .add(
            {
                "kind": "training",
                "title": "Tập huấn thanh toán số",
                "starts_at": soon,
                "place": "Hội trường xã",
                "commune": "Ninh Hải",
                "link": None,
                "description": None,
            }
        )
    )
    assert "Tập huấn thanh toán số" in await say(client, "lich tap huan o ninh hai")

    await (
        app[keys.features_key]
        .desk("contest")
        .save_info("Cuộc thi viết", "Kể chuyện chuyển đổi số ở quê bạn.", date(2099, 1, 1), None)
    )
    await say(client, "/consent_accept")
    assert "Cuộc thi viết" in await say(client, "cuoc thi viet ve chuyen doi so")
    assert "toàn bộ bài viết" in await say(client, "/contest_submit")
    story = " ".join(["Xã tôi giờ nộp hồ sơ trực tuyến, không phải đi xa."] * 4)
    assert "tên liên hệ" in await say(client, story)
    await say(client, "Trần Văn Bình")
    assert "Mã số: BV-" in await say(client, "Cam Lâm")

    assert "qua Zalo OA và Facebook Messenger" in await say(client, "đăng ký nhận bản tin")
    assert "Chưa có bản tin nào" in await say(client, "có tin gì mới không")
    desk = app[keys.features_key].desk("newsletter")
    await desk.create(
        "Bản tin tháng 12", "Tin mới.", None, "admin", app[keys.services_key].clock()
    )
    await desk.send_due()
    assert "📰 Bản tin tháng 12" in await say(client, "có tin gì mới không")
