"""The web chat in headless Chromium: a person types, reads the answer, clicks a button."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, expect

from bot.engine.runner import AssistantRunner
from bot.runtime.app import create_app
from bot.settings import Settings


@pytest.fixture
async def page(
    browser: Browser, settings: Settings, runner: AssistantRunner
) -> AsyncIterator[Page]:
    server = TestServer(create_app(settings, runner=runner), host="127.0.0.1")
    await server.start_server()
    context = await browser.new_context(viewport={"width": 390, "height": 740})  # a phone
    page = await context.new_page()
    await page.goto(str(server.make_url("/")))
    yield page
    await context.close()
    await server.close()


async def test_ask_read_and_click_a_button(page: Page, tmp_path: Path) -> None:
    await expect(page.locator(".msg--bot").first).to_contain_text("Xin chào")
    await page.fill("#input", "chuyen doi so la gi")
    await page.press("#input", "Enter")
    await expect(page.locator(".msg--user").last).to_have_text("chuyen doi so la gi")
    answer = page.locator(".msg--bot", has_text="Chuyển đổi số là việc dùng công nghệ số")
    await expect(answer).to_be_visible()
    await expect(page.locator(".msg--bot", has_text="Nguồn: Quyết định 749")).to_be_visible()

    await page.locator(".buttons button", has_text="Lợi ích").last.click()
    await expect(page.locator(".msg--user").last).to_have_text("Lợi ích")
    await expect(page.locator(".msg--bot", has_text="Với người dân")).to_be_visible()
    await page.screenshot(path=str(tmp_path / "webchat.png"), full_page=True)


async def test_unaccented_vneid_question_on_a_phone(page: Page) -> None:
    await page.fill("#input", "VNeID muc 2 dang ky o dau")
    await page.click("#send")
    await expect(page.locator(".msg--bot", has_text="công an xã/phường")).to_be_visible()
    # Nothing overflows a 390-px screen.
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
