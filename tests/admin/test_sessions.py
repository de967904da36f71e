"""Issue 19, item 4: the admin cookie is Secure by default (loopback included), and a cookie
replayed after logout, after its account was disabled or after a role change opens nothing."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, DummyCookieJar
from aiohttp.test_utils import TestClient

from bot.engine.runner import AssistantRunner
from bot.runtime.app import create_app
from bot.web import keys
from tests.conftest import ClientFactory
from tests.fakes.loopback import LoopbackJar
from tests.fakes.settings import make_settings

ADMIN_PASSWORD = "mat-khau-quan-tri-2026"
VOLUNTEER_PASSWORD = "tinh-nguyen-vien-1"


@pytest.fixture
async def client(
    aiohttp_client: ClientFactory, tmp_path: Path, runner: AssistantRunner
) -> TestClient:
    # The deployment's default (the test suite's settings may opt out for plain-HTTP clients).
    settings = make_settings(tmp_path, ADMIN_PASSWORD=ADMIN_PASSWORD, ADMIN_INSECURE_COOKIES="0")
    return await aiohttp_client(create_app(settings, runner=runner))


class Browser:
    """Another person's browser on the same server (its own cookies)."""

    def __init__(self, client: TestClient) -> None:
        self._client = client
        self.session = ClientSession(cookie_jar=LoopbackJar())

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.session.get(self._client.make_url(path), **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.session.post(self._client.make_url(path), **kwargs)


@pytest.fixture
async def browser(client: TestClient) -> AsyncIterator[Browser]:
    other = Browser(client)
    yield other
    await other.session.close()


async def csrf(client: TestClient | Browser, path: str) -> str:
    html = await (await client.get(path)).text()
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


async def sign_in(client: TestClient | Browser, username: str, password: str) -> str:
    """Signs in on `client`; the session cookie's value as a thief would copy it."""
    resp = await client.post(
        "/admin/login",
        data={
            "csrf": await csrf(client, "/admin/login"),
            "username": username,
            "password": password,
        },
        allow_redirects=False,
    )
    assert resp.status == 302, resp.status
    return resp.cookies["khdx_admin"].value


async def replay(client: TestClient, cookie: str, path: str = "/admin") -> int:
    """`path` fetched by someone else holding only the copied cookie."""
    async with (
        ClientSession(cookie_jar=DummyCookieJar()) as thief,
        thief.get(
            client.make_url(path),
            headers={"Cookie": f"khdx_admin={cookie}"},
            allow_redirects=False,
        ) as resp,
    ):
        return resp.status


async def make_volunteer(client: TestClient) -> None:
    resp = await client.post(
        "/admin/users",
        data={
            "csrf": await csrf(client, "/admin/users"),
            "username": "tnv.camlam",
            "password": VOLUNTEER_PASSWORD,
            "role": "volunteer",
        },
    )
    assert "Đã tạo tài khoản" in await resp.text()


async def change(client: TestClient, username: str, action: str, status: int = 200) -> str:
    resp = await client.post(
        "/admin/users/change",
        data={"csrf": await csrf(client, "/admin/users"), "username": username, "action": action},
    )
    assert resp.status == status
    return await resp.text()


async def test_the_cookie_is_secure_even_on_loopback(client: TestClient) -> None:
    resp = await client.post(
        "/admin/login",
        data={
            "csrf": await csrf(client, "/admin/login"),
            "username": "admin",
            "password": ADMIN_PASSWORD,
        },
        allow_redirects=False,
    )
    cookie = next(v for v in resp.headers.getall("Set-Cookie") if v.startswith("khdx_admin="))
    assert "Secure" in cookie and "HttpOnly" in cookie


async def test_a_plain_http_test_deployment_may_opt_out(
    aiohttp_client: ClientFactory, tmp_path: Path, runner: AssistantRunner
) -> None:
    settings = make_settings(
        tmp_path, ADMIN_PASSWORD=ADMIN_PASSWORD, HOST="0.0.0.0", ADMIN_INSECURE_COOKIES="1"
    )
    client = await aiohttp_client(create_app(settings, runner=runner))
    resp = await client.get("/admin/login")
    assert "Secure" not in resp.headers["Set-Cookie"]


async def test_a_cookie_replayed_after_logout_opens_nothing(client: TestClient) -> None:
    cookie = await sign_in(client, "admin", ADMIN_PASSWORD)
    assert await replay(client, cookie) == 200
    out = await client.post(
        "/admin/logout", data={"csrf": await csrf(client, "/admin")}, allow_redirects=False
    )
    assert out.status == 302
    assert await replay(client, cookie) == 302
    assert await replay(client, cookie, "/admin/api/stats") == 401


async def test_disabling_an_account_ends_its_sessions(
    client: TestClient, browser: Browser
) -> None:
    await sign_in(client, "admin", ADMIN_PASSWORD)
    await make_volunteer(client)
    volunteer = browser
    cookie = await sign_in(volunteer, "tnv.camlam", VOLUNTEER_PASSWORD)
    assert await replay(client, cookie, "/admin/handoffs") == 200
    assert "Đã khóa tài khoản tnv.camlam" in await change(client, "tnv.camlam", "disable")
    assert await replay(client, cookie, "/admin/handoffs") == 302
    assert (await volunteer.get("/admin/handoffs", allow_redirects=False)).status == 302
    refused = await volunteer.post(
        "/admin/login",
        data={
            "csrf": await csrf(volunteer, "/admin/login"),
            "username": "tnv.camlam",
            "password": VOLUNTEER_PASSWORD,
        },
        allow_redirects=False,
    )
    assert refused.status == 401


async def test_a_role_change_ends_the_sessions_of_that_account(
    client: TestClient, browser: Browser
) -> None:
    await sign_in(client, "admin", ADMIN_PASSWORD)
    await make_volunteer(client)
    assert "Đã đổi vai trò tnv.camlam" in await change(client, "tnv.camlam", "admin")
    other = browser
    cookie = await sign_in(other, "tnv.camlam", VOLUNTEER_PASSWORD)
    assert await replay(client, cookie, "/admin/users") == 200  # an admin now
    assert "Đã đổi vai trò tnv.camlam" in await change(client, "tnv.camlam", "volunteer")
    assert await replay(client, cookie, "/admin/users") == 302
    assert await replay(client, cookie, "/admin/handoffs") == 302
    # Signing in again gives the new role only.
    await sign_in(other, "tnv.camlam", VOLUNTEER_PASSWORD)
    assert (await other.get("/admin/users")).status == 403
    assert "Không tự đổi" in await change(client, "admin", "disable", status=400)


async def test_an_account_disabled_in_the_database_is_signed_out(client: TestClient) -> None:
    cookie = await sign_in(client, "admin", ADMIN_PASSWORD)
    path = Path(client.app[keys.settings_key].database_url.split("///", 1)[1])
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE admin_users SET disabled = 1 WHERE username = 'admin'")
    assert await replay(client, cookie) == 302
