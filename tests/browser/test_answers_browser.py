"""Editing an answer in headless Chromium: log in, open the answer, change its first message,
save; the web chat answers with it at once; the history restores the file's text."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from actions.content import baseline
from tests.browser.conftest import ADMIN_PASSWORD, CHROMIUM

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed")

NEW_TEXT = "Tạm biệt bạn! (sửa trong trình duyệt)"
FILE_TEXT = baseline().answers["goodbye"].messages[0]


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
    await page.fill("#password", ADMIN_PASSWORD)
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
