"""Admin pages: login with hashed passwords, roles, CSRF, rate limiting, logout."""

from __future__ import annotations

import base64
import json
import re
import sqlite3
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from bot.admin.auth import SessionSigner, hash_password, new_session, verify_password
from bot.engine.runner import AssistantRunner
from bot.runtime.app import create_app
from bot.web import keys
from tests.conftest import ClientFactory
from tests.fakes.settings import make_settings

ADMIN_PASSWORD = "mat-khau-quan-tri-2026"


@pytest.fixture
async def client(
    aiohttp_client: ClientFactory, tmp_path: Path, runner: AssistantRunner
) -> TestClient:
    settings = make_settings(tmp_path, ADMIN_PASSWORD=ADMIN_PASSWORD)
    return await aiohttp_client(create_app(settings, runner=runner))


async def form_token(client: TestClient, path: str) -> str:
    html = await (await client.get(path)).text()
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def login_response(client: TestClient, username: str, password: str):  # type: ignore[no-untyped-def]
    token = await form_token(client, "/admin/login")
    return await client.post(
        "/admin/login",
        data={"csrf": token, "username": username, "password": password},
        allow_redirects=False,
    )


async def login(client: TestClient, username: str, password: str) -> int:
    return (await login_response(client, username, password)).status


def test_password_hashes_are_salted_scrypt() -> None:
    first, second = hash_password("một mật khẩu dài"), hash_password("một mật khẩu dài")
    assert first != second and first.startswith("scrypt$")
    assert verify_password("một mật khẩu dài", first)
    assert not verify_password("mot mat khau dai", first)
    assert not verify_password("x", "garbage")


def test_session_cookie_is_signed_and_expires() -> None:
    signer = SessionSigner(b"key")
    session = new_session(1, "admin", "admin", now=1000.0)
    value = signer.dumps(session)
    assert signer.loads(value, now=1001.0) == session
    assert signer.loads(value, now=1000.0 + 9 * 3600) is None  # expired
    assert SessionSigner(b"other").loads(value, now=1001.0) is None
    payload, sig = value.rsplit(".", 1)
    data = json.loads(base64.urlsafe_b64decode(payload))
    data["role"] = "superuser"
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).decode()
    assert signer.loads(f"{forged}.{sig}", now=1001.0) is None


@pytest.mark.parametrize("path", ["/admin", "/admin/users", "/admin/handoffs", "/admin/quiz"])
async def test_pages_need_a_login(client: TestClient, path: str) -> None:
    resp = await client.get(path, allow_redirects=False)
    assert resp.status == 302
    assert resp.headers["Location"] == "/admin/login"


async def test_unknown_admin_paths_are_not_found_and_nothing_is_cached(client: TestClient) -> None:
    for path in ("/admin/", "/admin/nope", "/adminx"):
        assert (await client.get(path, allow_redirects=False)).status == 404
    assert (await client.put("/admin/login")).status == 405
    redirect = await client.get("/admin/users", allow_redirects=False)
    assert redirect.headers["Cache-Control"] == "no-store"
    assert redirect.headers["X-Frame-Options"] == "DENY"
    unauthorised = await client.get("/admin/api/stats")
    assert unauthorised.status == 401
    assert await unauthorised.json() == {"error": "Chưa đăng nhập."}


async def test_first_admin_logs_in_sees_the_overview_and_logs_out(client: TestClient) -> None:
    resp = await login_response(client, "admin", ADMIN_PASSWORD)
    assert resp.status == 302
    set_cookie = next(v for v in resp.headers.getall("Set-Cookie") if v.startswith("khdx_admin="))
    assert "HttpOnly" in set_cookie
    assert "SameSite=Strict" in set_cookie
    assert "Path=/admin" in set_cookie
    page = await client.get("/admin")
    assert page.status == 200
    assert "Tổng quan" in await page.text()
    assert page.headers["Cache-Control"] == "no-store"
    token = re.search(r'name="csrf" value="([^"]+)"', await page.text()).group(1)  # type: ignore[union-attr]
    out = await client.post("/admin/logout", data={"csrf": token}, allow_redirects=False)
    assert out.status == 302
    assert (await client.get("/admin", allow_redirects=False)).status == 302


async def test_wrong_password_and_rate_limit(client: TestClient) -> None:
    for _ in range(5):
        assert await login(client, "admin", "wrong-password") == 401
    # Locked for this client and user, even with the right password.
    assert await login(client, "admin", ADMIN_PASSWORD) == 429


async def test_login_without_its_form_token_is_refused(client: TestClient) -> None:
    resp = await client.post(
        "/admin/login",
        data={"username": "admin", "password": ADMIN_PASSWORD},
        allow_redirects=False,
    )
    assert resp.status == 403


async def test_admin_creates_a_volunteer_who_cannot_see_admin_pages(client: TestClient) -> None:
    assert await login(client, "admin", ADMIN_PASSWORD) == 302
    token = await form_token(client, "/admin/users")
    created = await client.post(
        "/admin/users",
        data={
            "csrf": token,
            "username": "tnv.camlam",
            "password": "tinh-nguyen-vien-1",
            "role": "volunteer",
        },
    )
    assert created.status == 200
    assert "tnv.camlam" in await created.text()
    # Without the CSRF token nothing is created.
    forged = await client.post(
        "/admin/users", data={"username": "x", "password": "yyyyyyyyyyyy", "role": "admin"}
    )
    assert forged.status == 403
    client.session.cookie_jar.clear()
    assert await login(client, "tnv.camlam", "tinh-nguyen-vien-1") == 302
    assert (await client.get("/admin")).status == 200
    assert (await client.get("/admin/users")).status == 403
    assert (await client.get("/admin/quiz")).status == 403  # the bank is edited by admins
    assert (await client.get("/admin/handoffs")).status == 200  # the volunteers' desk


async def test_passwords_are_not_stored_in_clear(client: TestClient) -> None:
    path = Path(client.app[keys.settings_key].database_url.split("///", 1)[1])
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT username, password_hash FROM admin_users").fetchall()
    assert rows[0][0] == "admin"
    assert ADMIN_PASSWORD not in rows[0][1]
    assert rows[0][1].startswith("scrypt$")


def test_create_user_cli_reads_the_password_from_stdin(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from bot.settings import PROJECT_ROOT

    env = {**os.environ, "VAR_DIR": str(tmp_path / "var")}
    ok = subprocess.run(
        [sys.executable, "-m", "bot", "admin", "create-user", "Lan.TNV", "--role", "volunteer"],
        input="mot-mat-khau-dai\n",
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    short = subprocess.run(
        [sys.executable, "-m", "bot", "admin", "create-user", "x"],
        input="short\n",
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        check=False,
    )
    assert short.returncode == 2
    assert "ít nhất 10 ký tự" in short.stderr
    with sqlite3.connect(tmp_path / "var" / "assistant.db") as conn:
        assert conn.execute("SELECT username, role FROM admin_users").fetchall() == [
            ("lan.tnv", "volunteer")
        ]
