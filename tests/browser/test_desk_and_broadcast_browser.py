"""The volunteers' desk and the broadcasts in headless Chromium, with the fake Messenger: an admin
gives a volunteer their commune and writes a canned reply; a citizen of that commune asks for a
person and the commune's volunteer sees it first, claims it, sends the canned reply (filled in),
hands back and records what it achieved; then an alert goes to one commune only. The pages are
photographed for the README (docs/screenshots/)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from bot.admin.auth import create_user
from bot.engine.runner import AssistantRunner
from bot.runtime.app import create_app
from bot.web import keys
from tests.browser.conftest import CHROMIUM
from tests.browser.screens import shot
from tests.conftest import ClientFactory
from tests.fakes.channels import Channels, channel_settings, fb_text
from tests.fakes.platforms import FakeGraph, FakeZalo
from tests.fakes.server import served

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed")

ADMIN, VOLUNTEER = "can.bo.so", "tnv.camlam"
PASSWORD = "mat-khau-man-hinh-2026"
CAM_LAM, NHA_TRANG = "Cam Lâm", "Nha Trang"
# Cam Lâm's citizens (5511 asks for a person) and one of Nha Trang.
ASKS, NEIGHBOUR, ELSEWHERE = "5511", "5513", "5512"
CANNED = "Chào bạn, mình là {tinh_nguyen_vien}, tình nguyện viên của {ten_xa}. Mình giúp bạn nhé."
ALERT_TITLE = "Lừa đảo giả danh điện lực"


@pytest.fixture
async def desk(
    aiohttp_client: ClientFactory,
    tmp_path: Path,
    runner: AssistantRunner,
    graph: FakeGraph,
    zalo: FakeZalo,
) -> Channels:
    settings = channel_settings(tmp_path, graph, zalo, HANDOFF_LOCAL_WAIT_MIN="10")
    client = await served(aiohttp_client, create_app(settings, runner=runner))
    services = client.app[keys.services_key]
    await create_user(services.writer, ADMIN, PASSWORD, "admin", services.clock())
    await create_user(services.writer, VOLUNTEER, PASSWORD, "volunteer", services.clock())
    return Channels(client, settings, graph, zalo)


@pytest.fixture
async def contexts(browser: Browser) -> AsyncIterator[tuple[BrowserContext, BrowserContext]]:
    """The admin's browser and the volunteer's: their own cookies."""
    admin = await browser.new_context(viewport={"width": 1200, "height": 900})
    volunteer = await browser.new_context(viewport={"width": 1200, "height": 900})
    yield admin, volunteer
    await admin.close()
    await volunteer.close()


async def log_in(context: BrowserContext, base: str, username: str) -> Page:
    page = await context.new_page()
    await page.goto(f"{base}/admin/login")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page.get_by_role("heading", name="Tổng quan")).to_be_visible()
    return page


def texts_to(graph: FakeGraph, psid: str) -> list[str]:
    return [
        str(r.body["message"].get("text", ""))
        for r in graph.messages()
        if r.body["recipient"]["id"] == psid
    ]


async def test_commune_volunteer_helps_then_an_alert_reaches_one_commune(
    desk: Channels, contexts: tuple[BrowserContext, BrowserContext]
) -> None:
    base = str(desk.client.make_url("")).rstrip("/")
    graph = desk.graph

    # The admin: Cam Lâm for the volunteer, and a canned reply with its placeholders.
    admin = await log_in(contexts[0], base, ADMIN)
    await admin.click("nav >> text=Tài khoản")
    await admin.select_option("#vc-username", VOLUNTEER)
    await admin.select_option("#vc-communes", CAM_LAM)
    await admin.click("#volunteer-communes button[type=submit]")
    await expect(admin.locator("body")).to_contain_text(f"Đã lưu cho {VOLUNTEER}")
    await admin.goto(f"{base}/admin/handoffs/replies")
    await admin.fill("#canned-title", "Chào theo xã")
    await admin.fill("#canned-text", CANNED)
    await admin.click("#new-canned button[type=submit]")
    saved = admin.locator("input[aria-label='Tên mẫu']")
    await expect(saved).to_have_value("Chào theo xã")
    await shot(admin, "canned-replies")

    # Citizens who agreed to be recorded, in two communes; one of Cam Lâm asks for a person.
    desk.consented("facebook", ASKS, NEIGHBOUR, commune=CAM_LAM)
    desk.consented("facebook", ELSEWHERE, commune=NHA_TRANG)
    for psid in (ASKS, NEIGHBOUR, ELSEWHERE):
        await desk.post_facebook(fb_text(psid, "xin chào", f"m_hi{psid}"))
    await graph.wait_messages(3)
    await desk.post_facebook(fb_text(ASKS, "cho tôi gặp người hỗ trợ", "m_person"))
    for _ in range(200):
        if any("tình nguyện viên Đoàn Thanh niên" in t for t in texts_to(graph, ASKS)):
            break
        await asyncio.sleep(0.1)
    [(handoff_id,)] = desk.rows("SELECT id FROM handoffs")

    # Cam Lâm's volunteer sees it first, with the commune and until when it is theirs.
    volunteer = await log_in(contexts[1], base, VOLUNTEER)
    await volunteer.click("nav >> text=Hỗ trợ người dân")
    await expect(volunteer.locator("body")).to_contain_text("chờ tình nguyện viên xã Cam Lâm đến")
    await shot(volunteer, "handoff-queue")
    await volunteer.click(f"a[href='/admin/handoffs/{handoff_id}']")
    await volunteer.get_by_role("button", name="Nhận hỗ trợ").click()
    await volunteer.select_option("#canned-reply", label="Chào theo xã")
    await volunteer.get_by_role("button", name="Gửi mẫu").click()
    filled = f"Chào bạn, mình là {VOLUNTEER}, tình nguyện viên của xã Cam Lâm."
    for _ in range(100):
        if any(filled in t for t in texts_to(graph, ASKS)):
            break
        await asyncio.sleep(0.1)
    assert any(filled in t for t in texts_to(graph, ASKS)), texts_to(graph, ASKS)
    await expect(volunteer.locator("#history")).to_contain_text(filled)
    await volunteer.get_by_role("button", name="Trả lại cho trợ lý").click()
    await expect(volunteer).to_have_url(f"{base}/admin/handoffs")
    await volunteer.goto(f"{base}/admin/handoffs/{handoff_id}")
    await expect(volunteer.locator("h1 + p")).to_contain_text("đã kết thúc")
    await volunteer.get_by_label("VNeID mức 2 đã kích hoạt").check()
    await volunteer.get_by_label("Đã cài ứng dụng").check()
    await volunteer.get_by_role("button", name="Ghi kết quả").click()
    await expect(volunteer.get_by_label("VNeID mức 2 đã kích hoạt")).to_be_checked()
    await shot(volunteer, "handoff-outcomes")
    recorded = desk.rows(
        f"SELECT outcome FROM handoff_outcomes WHERE handoff_id = {handoff_id} ORDER BY outcome"  # noqa: S608
    )
    assert recorded == [("app_installed",), ("vneid_level2",)]

    # An alert to Cam Lâm: previewed with its counts, then sent to its two citizens only.
    await admin.click("nav >> text=Bản tin, cảnh báo")
    await admin.check("input[name=kind][value=alert]")
    await admin.fill("#title", ALERT_TITLE)
    await admin.fill(
        "#body",
        "Đang có cuộc gọi giả danh điện lực đòi tiền điện, yêu cầu cài ứng dụng lạ. "
        "Không bấm link, không chuyển tiền.",
    )
    await admin.select_option("#commune", CAM_LAM)
    await admin.get_by_role("button", name="Xem trước").click()
    counts = admin.locator("#preview-counts")
    await expect(counts.locator("[data-figure=targeted]")).to_have_text("2")
    await expect(counts.locator("[data-figure=inside]")).to_have_text("2")
    await shot(admin, "broadcast-preview")
    await admin.get_by_role("button", name="Gửi ngay").click()
    await expect(admin.locator("#message")).to_be_visible()
    issue = admin.locator("#issues tr", has_text=ALERT_TITLE)
    sent = issue.locator("[data-figure=sent]")
    for _ in range(50):
        if (await sent.inner_text()).strip() == "2":
            break
        await asyncio.sleep(0.2)
        await admin.goto(f"{base}/admin/newsletter")  # not a reload: that would post it again
    await expect(issue).to_have_count(1)
    await expect(sent).to_have_text("2")
    await expect(issue.locator("[data-figure=outside]")).to_have_text("0")
    await shot(admin, "broadcast-sent")
    for psid, gets in ((ASKS, True), (NEIGHBOUR, True), (ELSEWHERE, False)):
        alerts = [t for t in texts_to(graph, psid) if ALERT_TITLE in t]
        assert bool(alerts) is gets, (psid, texts_to(graph, psid))
