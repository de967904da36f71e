"""Screenshots citizens send on Zalo and Messenger: drawn with Pillow, served by the fake
platforms' CDN on loopback, read by the real Tesseract and checked by the scam check; an image
that cannot be read gets the usual screenshot advice, and nobody else waits for it."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from PIL import Image, ImageDraw, ImageFont

from bot.engine.runner import AssistantRunner
from bot.features.scam import screenshot
from bot.features.scam.screenshot import Limits, ScreenshotReader
from bot.runtime.app import create_app
from tests.fakes.channels import (
    PAGE_ID,
    Channels,
    channel_settings,
    fb_envelope,
    fb_text,
    zalo_event,
)
from tests.fakes.platforms import FakeGraph, FakePlatform, FakeZalo, Served
from tests.fakes.server import served

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SCAM_SMS = (
    "VCB thông báo: Tài khoản của bạn bị khóa do đăng nhập bất thường.",
    "Truy cập http://vcb-xacminh.top để mở khóa ngay",
    "trong 24h, quá hạn tài khoản sẽ bị đóng vĩnh viễn.",
)
WARNING = "RẤT CÓ THỂ LÀ LỪA ĐẢO"
ADVICE = "Mình chưa đọc được nội dung trong ảnh"  # /share_image, as before screenshots were read
FETCH_TIMEOUT_S = 1.0


def drawn(
    lines: tuple[str, ...], *, size: tuple[int, int] = (1100, 260), font_px: int = 30
) -> bytes:
    """A screenshot of a message: dark text on white, as a phone shows an SMS."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, font_px)
    for n, line in enumerate(lines):
        draw.text((30, 30 + n * int(font_px * 1.6)), line, fill="black", font=font)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def blank() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (235, 240, 245)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
async def shots(
    aiohttp_client: Any,
    tmp_path: Path,
    runner: AssistantRunner,
    graph: FakeGraph,
    zalo: FakeZalo,
    monkeypatch: pytest.MonkeyPatch,
) -> Channels:
    """Both channels on, images fetched from the fake platforms on loopback (allowed by the
    setting), with a short fetch limit so a slow CDN is given up on within the test."""
    monkeypatch.setattr(screenshot, "LIMITS", Limits(fetch_timeout_s=FETCH_TIMEOUT_S))
    settings = channel_settings(tmp_path, graph, zalo, ATTACHMENT_ALLOW_PRIVATE="1")
    client: TestClient = await served(aiohttp_client, create_app(settings, runner=runner))
    return Channels(client, settings, graph, zalo)


def zalo_image(user: str, msg_id: str, url: str) -> dict[str, Any]:
    return zalo_event(
        "user_send_image",
        user,
        msg_id,
        attachments=[{"type": "image", "payload": {"url": url, "thumbnail": url}}],
    )


def fb_image(psid: str, mid: str, url: str) -> dict[str, Any]:
    return fb_envelope(
        {
            "sender": {"id": psid},
            "recipient": {"id": PAGE_ID},
            "timestamp": 1718000000123,
            "message": {"mid": mid, "attachments": [{"type": "image", "payload": {"url": url}}]},
        }
    )


def zalo_texts(zalo: FakeZalo, user: str) -> str:
    return "\n".join(
        str(r.body["message"].get("text", ""))
        for r in zalo.sent(zalo.SEND)
        if r.body["recipient"]["user_id"] == user
    )


def fb_texts(graph: FakeGraph, psid: str) -> str:
    return "\n".join(
        r.body["message"].get("text", "")
        for r in graph.messages()
        if r.body["recipient"]["id"] == psid
    )


async def timed(post: Any) -> float:
    started = time.perf_counter()
    resp = await post
    assert resp.status == 200
    return time.perf_counter() - started


async def test_a_scam_screenshot_on_zalo_gets_the_warning(shots: Channels) -> None:
    shots.consented("zalo", "24680101")
    url = shots.zalo.serve_image("sms.png", Served(drawn(SCAM_SMS)))
    await timed(shots.post_zalo(zalo_image("24680101", "z_img1", url)))
    await shots.zalo.wait_for(shots.zalo.SEND, 2)
    texts = zalo_texts(shots.zalo, "24680101")
    assert WARNING in texts and "vcb-xacminh.top" in texts
    assert ADVICE not in texts
    assert shots.rows("SELECT intent, topic FROM messages WHERE direction = 'in'") == [
        ("scam_check_likely_scam", "scam_awareness")
    ]
    # Neither the image's address nor its text outlives the turn.
    assert shots.rows("SELECT text, attachment_url, status FROM inbox") == [(None, None, "done")]


async def test_a_scam_screenshot_on_messenger_gets_the_warning(shots: Channels) -> None:
    shots.consented("facebook", "8811")
    url = shots.graph.serve_image("sms.png", Served(drawn(SCAM_SMS)))
    await timed(shots.post_facebook(fb_image("8811", "m_img1", url)))
    await shots.graph.wait_messages(2)
    texts = fb_texts(shots.graph, "8811")
    assert WARNING in texts and "vcb-xacminh.top" in texts
    assert ADVICE not in texts
    assert shots.graph.image_fetches == ["sms.png"]


async def test_a_harmless_screenshot_gets_the_checks_answer_and_a_caveat(
    shots: Channels,
) -> None:
    shots.consented("zalo", "24680103")
    lines = ("Lịch họp tổ dân phố: 19 giờ thứ Năm", "tại nhà văn hóa thôn. Mời bà con đến dự.")
    url = shots.zalo.serve_image("hop.png", Served(drawn(lines)))
    await timed(shots.post_zalo(zalo_image("24680103", "z_img3", url)))
    await shots.zalo.wait_for(shots.zalo.SEND, 3)
    texts = zalo_texts(shots.zalo, "24680103")
    assert "chưa thấy dấu hiệu lừa đảo rõ ràng" in texts
    assert "có thể sót chữ hoặc đường link" in texts
    assert WARNING not in texts and ADVICE not in texts


async def test_a_screenshot_without_text_gets_the_usual_advice(shots: Channels) -> None:
    shots.consented("facebook", "8812")
    url = shots.graph.serve_image("sky.png", Served(blank()))
    await timed(shots.post_facebook(fb_image("8812", "m_img2", url)))
    await shots.graph.wait_messages(2)
    texts = fb_texts(shots.graph, "8812")
    assert ADVICE in texts and WARNING not in texts
    assert shots.graph.image_fetches == ["sky.png"]


async def test_an_image_over_the_cap_gets_the_advice_and_a_fast_ack(shots: Channels) -> None:
    shots.consented("zalo", "24680102")
    # Sent in chunks with no Content-Length: the reading itself must stop at the cap.
    huge = drawn(SCAM_SMS) + bytes(screenshot.LIMITS.max_bytes)
    url = shots.zalo.serve_image("huge.png", Served(huge, chunked=True))
    ack_s = await timed(shots.post_zalo(zalo_image("24680102", "z_img2", url)))
    await shots.zalo.wait_for(shots.zalo.SEND, 2)
    texts = zalo_texts(shots.zalo, "24680102")
    assert ADVICE in texts and WARNING not in texts
    assert shots.zalo.image_fetches == ["huge.png"]
    assert ack_s < 1.0


async def test_a_cdn_that_does_not_answer_gets_the_advice_and_a_fast_ack(
    shots: Channels,
) -> None:
    shots.consented("facebook", "8813")
    url = shots.graph.serve_image("slow.png", Served(drawn(SCAM_SMS), delay_s=FETCH_TIMEOUT_S + 3))
    ack_s = await timed(shots.post_facebook(fb_image("8813", "m_img3", url)))
    started = time.perf_counter()
    await shots.graph.wait_messages(2)
    answered_s = time.perf_counter() - started
    texts = fb_texts(shots.graph, "8813")
    assert ADVICE in texts and WARNING not in texts
    assert ack_s < 1.0
    # Given up at the limit, not when the CDN would have answered.
    assert answered_s < FETCH_TIMEOUT_S + 2.5


async def test_other_citizens_are_answered_while_a_screenshot_is_read(shots: Channels) -> None:
    shots.consented("facebook", "8814", "8815")
    # A tall screenshot full of text: its OCR takes seconds.
    page = drawn(SCAM_SMS * 14, size=(1900, 2000), font_px=28)
    url = shots.graph.serve_image("long.png", Served(page))
    await timed(shots.post_facebook(fb_image("8814", "m_img4", url)))
    await shots.graph.wait_image_fetches(1)  # the OCR starts once the image is fetched
    started = time.perf_counter()
    ack_s = await timed(shots.post_facebook(fb_text("8815", "chuyển đổi số là gì", "m_txt5")))
    await shots.graph.wait_messages(1)
    first = shots.graph.messages()[0].body["recipient"]["id"]
    text_reply_s = time.perf_counter() - started
    await shots.graph.wait_messages_to("8814", 2, timeout=60)
    screenshot_s = time.perf_counter() - started
    assert first == "8815", "the text message waited for the screenshot"
    assert ack_s < 1.0
    assert text_reply_s < screenshot_s
    texts = fb_texts(shots.graph, "8814")
    assert WARNING in texts and "vcb-xacminh.top" in texts


async def test_loopback_and_private_addresses_are_refused_by_default(
    graph: FakeGraph,
) -> None:
    """Production: an address inside the network is never fetched, named or literal."""
    image = drawn(SCAM_SMS)
    reader = ScreenshotReader(Limits(fetch_timeout_s=FETCH_TIMEOUT_S))
    named = graph.serve_image("a.png", Served(image)).replace("127.0.0.1", "localhost")
    literal = graph.serve_image("b.png", Served(image))
    assert await reader.text(named) is None
    assert await reader.text(literal) is None
    assert await reader.text("file:///etc/passwd") is None
    assert graph.image_fetches == []
    allowed = ScreenshotReader(Limits(fetch_timeout_s=FETCH_TIMEOUT_S), allow_private=True)
    assert "vcb-xacminh.top" in (await allowed.text(literal) or "")


async def test_a_stuck_ocr_is_killed_at_its_limit(graph: FakePlatform, tmp_path: Path) -> None:
    """Tesseract past its time limit is killed and the image counts as unread."""
    slow = tmp_path / "slow-tesseract"
    slow.write_text("#!/bin/sh\nexec sleep 30\n")
    slow.chmod(0o755)
    limits = Limits(ocr_timeout_s=0.5, command=str(slow))
    reader = ScreenshotReader(limits, allow_private=True)
    url = graph.serve_image("c.png", Served(drawn(SCAM_SMS)))
    started = time.perf_counter()
    assert await reader.text(url) is None
    assert time.perf_counter() - started < 3
