"""The admin dashboard in headless Chromium: log in, pick a period, see the chart."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from playwright.async_api import Page, expect

from tests.browser.conftest import ADMIN_PASSWORD


async def test_log_in_pick_a_period_and_see_the_chart(
    admin_page: tuple[Page, str], tmp_path: Path
) -> None:
    page, base = admin_page
    # Some traffic for the figures.
    session = await page.request.post(f"{base}/webhooks/web/session")
    sender = (await session.json())["sender"]
    for text in ("xin chao", "chuyen doi so la gi", "gia vang hom nay"):
        await page.request.post(f"{base}/webhooks/web", data={"sender": sender, "message": text})
    await page.goto(f"{base}/admin")
    await expect(page).to_have_url(f"{base}/admin/login")
    await page.fill("#username", "admin")
    await page.fill("#password", "sai-mat-khau-roi")
    await page.click("button[type=submit]")
    await expect(page.get_by_role("alert")).to_contain_text("không đúng")
    await page.fill("#username", "admin")
    await page.fill("#password", ADMIN_PASSWORD)
    await page.click("button[type=submit]")
    await expect(page.get_by_role("heading", name="Tổng quan")).to_be_visible()
    await expect(page.locator("#total-messages")).to_have_text("3")

    await page.fill("#from", "2026-10-01")
    await page.fill("#to", "2026-10-31")
    await page.click("#period button[type=submit]")
    await expect(page).to_have_url(f"{base}/admin?from=2026-10-01&to=2026-10-31")
    await expect(page.locator("#chart-daily rect")).to_have_count(31)
    await expect(page.locator("#total-messages")).to_have_text("0")
    await page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

    # Download this month's report and open it.
    await page.goto(f"{base}/admin")
    async with page.expect_download() as download_info:
        await page.click("#report button[type=submit]")
    download = await download_info.value
    assert download.suggested_filename.startswith("bao-cao-chuyen-doi-so-")
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    book = load_workbook(saved)
    summary = {row[0].value: row[1].value for row in book["Tổng hợp"].iter_rows(min_row=2)}
    assert summary["Số câu hỏi (lượt hỏi đáp)"] == 3

    await page.get_by_role("button", name="Đăng xuất").click()
    await expect(page).to_have_url(f"{base}/admin/login")
