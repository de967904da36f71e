"""Issue 19, item 11: every response of the gateway, the admin pages included, carries a
Content-Security-Policy and X-Content-Type-Options; no page but the web chat can be framed; the
pages use no inline script or style the policy would block."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.engine.runner import AssistantRunner
from bot.runtime.app import create_app
from tests.browser.conftest import CHROMIUM, FLAGS
from tests.conftest import ClientFactory
from tests.fakes.loopback import LoopbackJar
from tests.fakes.settings import make_settings

ADMIN_PASSWORD = "mat-khau-quan-tri-2026"


@pytest.fixture
async def admin_client(aiohttp_client: Any, tmp_path: Path, runner: AssistantRunner) -> TestClient:
    settings = make_settings(tmp_path, ADMIN_PASSWORD=ADMIN_PASSWORD, ADMIN_INSECURE_COOKIES="0")
    return await aiohttp_client(create_app(settings, runner=runner), cookie_jar=LoopbackJar())


async def signed_in(client: TestClient) -> None:
    html = await (await client.get("/admin/login")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    resp = await client.post(
        "/admin/login",
        data={"csrf": token, "username": "admin", "password": ADMIN_PASSWORD},
        allow_redirects=False,
    )
    assert resp.status == 302


def policy(headers: object) -> dict[str, str]:
    csp = headers["Content-Security-Policy"]  # type: ignore[index]
    return {d.split()[0]: d.strip() for d in csp.split(";") if d.strip()}


REQUESTS = [
    ("GET", "/", 200),
    ("GET", "/static/chat.js", 200),
    ("GET", "/healthz", 200),
    ("POST", "/webhooks/web", 415),
    ("GET", "/nowhere", 404),
    ("GET", "/admin/login", 200),
    ("GET", "/admin/admin.css", 200),
    ("GET", "/admin", 302),
    ("GET", "/admin/api/stats", 401),
    ("GET", "/admin/nope", 404),
    ("PUT", "/admin/login", 405),
]


async def test_every_response_has_the_security_headers(admin_client: TestClient) -> None:
    for method, path, status in REQUESTS:
        resp = await admin_client.request(method, path, allow_redirects=False)
        assert resp.status == status, (path, resp.status)
        assert resp.headers.get("X-Content-Type-Options") == "nosniff", path
        rules = policy(resp.headers)
        assert rules["script-src"] == "script-src 'self'", path
        assert rules["style-src"] == "style-src 'self'", path
        assert rules["default-src"] == "default-src 'none'", path
        assert resp.headers["Referrer-Policy"] == "no-referrer", path
        framing = rules["frame-ancestors"]
        if path == "/":
            assert framing == "frame-ancestors 'self'"
        else:
            assert framing == "frame-ancestors 'none'", path
            assert resp.headers["X-Frame-Options"] == "DENY", path


async def test_the_chat_script_is_revalidated_so_a_deploy_reaches_every_browser(
    admin_client: TestClient,
) -> None:
    resp = await admin_client.get("/static/chat.js")
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "no-cache"


async def test_signed_in_pages_have_them_and_no_inline_code(admin_client: TestClient) -> None:
    await signed_in(admin_client)
    for path in (
        "/admin",
        "/admin/users",
        "/admin/handoffs",
        "/admin/quiz",
        "/admin/events",
        "/admin/newsletter",
        "/admin/guidance",
        "/admin/content",
    ):
        resp = await admin_client.get(path)
        assert resp.status == 200, path
        assert "'none'" in policy(resp.headers)["frame-ancestors"]
        html = await resp.text()
        assert "<style" not in html and " style=" not in html, path
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert not re.search(r"\son[a-z]+=", html), path
    chat = await (await admin_client.get("/")).text()
    assert "<style" not in chat and " style=" not in chat
    assert not re.search(r"<script(?![^>]*\bsrc=)", chat)


async def test_a_portal_named_in_the_settings_may_frame_the_web_chat(
    aiohttp_client: ClientFactory, tmp_path: Path, runner: AssistantRunner
) -> None:
    settings = make_settings(
        tmp_path, WEB_CHAT_FRAME_ANCESTORS="https://khanhhoa.gov.vn, https://dx.khanhhoa.gov.vn"
    )
    client = await aiohttp_client(create_app(settings, runner=runner))
    page = await client.get("/")
    assert policy(page.headers)["frame-ancestors"] == (
        "frame-ancestors https://khanhhoa.gov.vn https://dx.khanhhoa.gov.vn"
    )
    assert "X-Frame-Options" not in page.headers  # it cannot name several origins
    admin = await client.get("/admin/login")
    assert policy(admin.headers)["frame-ancestors"] == "frame-ancestors 'none'"


async def test_the_pages_work_in_chromium_under_the_policy(
    tmp_path: Path, runner: AssistantRunner
) -> None:
    """No policy violation in a real browser, the admin styles applied, the chat answering."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is missing (the browser tests need it)")
    from playwright.async_api import async_playwright, expect

    settings = make_settings(tmp_path, ADMIN_PASSWORD=ADMIN_PASSWORD)
    server = TestServer(create_app(settings, runner=runner), host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    violations: list[str] = []
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
            page = await browser.new_page()
            page.on(
                "console",
                lambda m: violations.append(m.text)
                if "Content Security Policy" in m.text
                else None,
            )
            await page.goto(f"{base}/")
            await page.fill("#input", "chuyen doi so la gi")
            await page.click("#send")
            await expect(page.locator("#log li")).not_to_have_count(0)
            await page.goto(f"{base}/admin/login")
            await page.fill("#username", "admin")
            await page.fill("#password", ADMIN_PASSWORD)
            await page.click("button[type=submit]")
            await expect(page.get_by_role("heading", name="Tổng quan")).to_be_visible()
            header = await page.eval_on_selector(
                "header", "e => getComputedStyle(e).backgroundColor"
            )
            assert header == "rgb(11, 92, 171)"  # admin.css was applied
            for path in ("/admin/users", "/admin/events", "/admin/newsletter", "/admin/quiz"):
                await page.goto(f"{base}{path}")
            await browser.close()
    finally:
        await server.close()
    assert violations == []
