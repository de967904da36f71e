"""The web chat in headless Chromium: a person types, reads the answer, clicks a button; the
conversation's id is the server's, kept for the tab only, and forgotten on request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, Route, expect

from bot.engine.runner import AssistantRunner
from bot.runtime.app import create_app
from bot.settings import Settings


async def with_strict_csp(route: Route) -> None:
    """The page as served, under a policy that refuses inline scripts and handlers."""
    response = await route.fetch()
    headers = {**response.headers, "content-security-policy": "script-src 'self'"}
    await route.fulfill(response=response, headers=headers)


async def stored_id(page: Page) -> str | None:
    return await page.evaluate("window.sessionStorage.getItem('khdx.sender')")  # type: ignore[no-any-return]


@pytest.fixture
async def page(
    browser: Browser, settings: Settings, runner: AssistantRunner
) -> AsyncIterator[Page]:
    server = TestServer(create_app(settings, runner=runner), host="127.0.0.1")
    await server.start_server()
    context = await browser.new_context(viewport={"width": 390, "height": 740})  # a phone
    await context.route(str(server.make_url("/")), with_strict_csp)
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


async def test_the_id_is_the_servers_kept_for_this_tab_and_forgotten_on_request(
    page: Page,
) -> None:
    await page.fill("#input", "xin chao")
    await page.press("#input", "Enter")
    await expect(page.locator(".msg--user")).to_have_count(1)
    await expect(page.locator(".msg--typing")).to_have_count(0)  # answered
    first = await stored_id(page)
    assert first and first.count(".") == 2  # issued and signed by the server
    assert await page.evaluate("window.localStorage.length") == 0
    # Another tab (the next person at the commune computer) does not inherit it.
    other = await page.context.new_page()
    await other.goto(page.url)
    assert await stored_id(other) is None
    await other.close()

    await page.get_by_role("button", name="Cuộc trò chuyện mới").click()
    assert await stored_id(page) is None
    await expect(page.locator(".msg--user")).to_have_count(0)
    await expect(page.locator(".msg--bot").first).to_contain_text("Xin chào")
    await page.fill("#input", "vneid la gi")
    await page.press("#input", "Enter")
    await expect(page.locator(".msg--user")).to_have_count(1)
    await expect(page.locator(".msg--typing")).to_have_count(0)
    second = await stored_id(page)
    assert second and second.split(".")[0] != first.split(".")[0]


async def test_an_id_the_server_refuses_is_replaced_without_bothering_the_citizen(
    page: Page,
) -> None:
    await page.evaluate(
        "window.sessionStorage.setItem('khdx.sender', 'w-made-up.1.' + '0'.repeat(32))"
    )
    await page.fill("#input", "VNeID muc 2 dang ky o dau")
    await page.click("#send")
    await expect(page.locator(".msg--bot", has_text="công an xã/phường")).to_be_visible()
    await expect(page.locator(".msg--bot", has_text="hết hạn")).to_have_count(0)
    assert not (await stored_id(page) or "").startswith("w-made-up")


async def test_an_answer_still_on_the_way_does_not_bring_back_an_ended_conversation(
    page: Page,
) -> None:
    answered = asyncio.Event()

    async def slow(route: Route) -> None:
        await asyncio.sleep(1.0)
        await route.continue_()
        answered.set()

    await page.route("**/webhooks/web", slow)
    await page.fill("#input", "chuyen doi so la gi")
    await page.press("#input", "Enter")
    await page.get_by_role("button", name="Cuộc trò chuyện mới").click()
    await asyncio.wait_for(answered.wait(), 10)
    await page.wait_for_timeout(500)
    assert await stored_id(page) is None
    await expect(page.locator(".msg--user")).to_have_count(0)
    await expect(page.locator(".msg--bot", has_text="Chuyển đổi số là")).to_have_count(0)
