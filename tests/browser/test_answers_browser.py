"""Editing an answer in headless Chromium: log in, open the answer, change its first message,
save; the web chat answers with it at once; the history restores the file's text."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, expect

from actions.content import baseline
from bot.engine.runner import AssistantRunner
from bot.runtime.app import create_app
from tests.browser.conftest import CHROMIUM
from tests.fakes.settings import make_settings

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed")

PASSWORD = "quan-tri-noi-dung-2026"
NEW_TEXT = "Tạm biệt bạn! (sửa trong trình duyệt)"
FILE_TEXT = baseline().answers["goodbye"].messages[0]


@pytest.fixture
async def admin_page(
    browser: Browser, tmp_path: Path, runner: AssistantRunner
) -> AsyncIterator[tuple[Page, str]]:
    settings = make_settings(tmp_path, ADMIN_PASSWORD=PASSWORD)
    server = TestServer(create_app(settings, runner=runner), host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    context = await browser.new_context(viewport={"width": 1024, "height": 900})
    page = await context.new_page()
    yield page, base
    await context.close()
    await server.close()


async def _chat(page: Page, base: str) -> str:
    session = await page.request.post(f"{base}/webhooks/web/session")
    sender = (await session.json())["sender"]
    resp = await page.request.post(
        f"{base}/webhooks/web", data={"sender": sender, "message": "/goodbye"}
    )
    return "\n".join(r["text"] for r in (await resp.json())["replies"])


async def test_edit_an_answer_chat_with_it_and_restore_the_file(
    admin_page: tuple[Page, str],
) -> None:
    page, base = admin_page
    await page.goto(f"{base}/admin/login")
    await page.fill("#username", "admin")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.click("nav >> text=Câu trả lời")
    await page.fill("#q", "tam biet")
    await page.click("form[action='/admin/answers'] button[type=submit]")
    await page.click("#answers tr:has-text('goodbye') >> text=Sửa")
    await expect(page.locator("#message_1")).to_have_value(FILE_TEXT)

    await page.fill("#title", "Một tiêu đề quá dài cho nút bấm")
    await page.click("text=Lưu phiên bản mới")
    await expect(page.get_by_role("alert")).to_contain_text("tối đa 20")

    await page.fill("#title", "Tạm biệt")
    await page.fill("#message_1", NEW_TEXT)
    await page.fill("#note", "Thử trong trình duyệt")
    await page.click("text=Lưu phiên bản mới")
    await expect(page.locator("#saved")).to_contain_text("Đã lưu phiên bản 1")
    assert NEW_TEXT in await _chat(page, base)

    await page.click("text=Lịch sử phiên bản")
    await page.click("#versions tr:has-text('Thử trong trình duyệt') >> text=Xem thay đổi")
    # A diff line is a sentence: the new one is there, added.
    added = page.locator("#diff tr.diff-add", has_text="sửa trong trình duyệt")
    await expect(added).to_have_count(1)
    await page.go_back()
    await page.click("#versions tr:has-text('tệp gốc') >> text=Khôi phục")
    await expect(page.locator("#restored")).to_contain_text("phiên bản 0")
    assert FILE_TEXT in await _chat(page, base)
