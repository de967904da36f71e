"""Headless Chromium (Debian's, installed by `make test`) driven by Playwright."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, async_playwright

from bot.engine.runner import AssistantRunner
from bot.runtime.app import create_app
from tests.fakes.settings import make_settings

CHROMIUM = Path("/usr/bin/chromium")
ADMIN_PASSWORD = "quan-tri-vien-2026"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: `make test` installs it (apt-get install chromium)")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield browser
        await browser.close()


@pytest.fixture
async def admin_page(
    browser: Browser, tmp_path: Path, runner: AssistantRunner
) -> AsyncIterator[tuple[Page, str]]:
    """A page in a desktop-sized window and the base URL of one in-process site (SQLite)."""
    settings = make_settings(tmp_path, ADMIN_PASSWORD=ADMIN_PASSWORD)
    server = TestServer(create_app(settings, runner=runner), host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    context = await browser.new_context(viewport={"width": 1024, "height": 900})
    page = await context.new_page()
    yield page, base
    await context.close()
    await server.close()
