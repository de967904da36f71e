"""Screenshots the browser tests take for the README: the pages as an admin or a volunteer sees
them, with the data the test made. `make screenshots` writes them to docs/screenshots/ (committed);
an ordinary test run writes them under var/ so it leaves the checkout clean."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.async_api import Page

from bot.settings import PROJECT_ROOT

SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or PROJECT_ROOT / "var" / "screenshots")


async def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
