"""Issue 19, item 3: what an attacker of the admin login sees. The answer's time does not tell
which names exist; a flood of junk names does not clear their failures; guesses are counted per
account across addresses without letting them lock `admin` out; X-Forwarded-For is believed
only from a trusted proxy; the scrypt cost is raised and old hashes still sign in."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import statistics
import time
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from bot.admin.auth import hash_password
from bot.admin.keys import limiter_key
from bot.engine.runner import AssistantRunner
from bot.runtime.app import create_app
from bot.web import keys
from tests.conftest import ClientFactory
from tests.fakes.settings import make_settings

ADMIN_PASSWORD = "mat-khau-quan-tri-2026"


async def make_client(
    aiohttp_client: ClientFactory, tmp_path: Path, runner: AssistantRunner, **env: str
) -> TestClient:
    settings = make_settings(tmp_path, ADMIN_PASSWORD=ADMIN_PASSWORD, **env)
    return await aiohttp_client(create_app(settings, runner=runner))


@pytest.fixture
async def client(
    aiohttp_client: ClientFactory, tmp_path: Path, runner: AssistantRunner
) -> TestClient:
    return await make_client(aiohttp_client, tmp_path, runner)


@pytest.fixture
async def behind_proxy(
    aiohttp_client: ClientFactory, tmp_path: Path, runner: AssistantRunner
) -> TestClient:
    """The gateway behind a reverse proxy on this host (the test client plays the proxy)."""
    return await make_client(aiohttp_client, tmp_path, runner, TRUSTED_PROXIES="127.0.0.1, ::1")


async def attempt(
    client: TestClient, username: str, password: str, forwarded_for: str | None = None
) -> int:
    html = await (await client.get("/admin/login")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    resp = await client.post(
        "/admin/login",
        data={"csrf": token, "username": username, "password": password},
        headers=headers,
        allow_redirects=False,
    )
    client.session.cookie_jar.clear_domain("127.0.0.1") if resp.status == 302 else None
    return resp.status


async def timed(client: TestClient, username: str, forwarded_for: str) -> float:
    html = await (await client.get("/admin/login")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    start = time.perf_counter()
    resp = await client.post(
        "/admin/login",
        data={"csrf": token, "username": username, "password": "not-the-password"},
        headers={"X-Forwarded-For": forwarded_for},
        allow_redirects=False,
    )
    elapsed = time.perf_counter() - start
    assert resp.status == 401
    return elapsed


async def test_unknown_names_take_as_long_as_known_ones(behind_proxy: TestClient) -> None:
    known, unknown = [], []
    for i in range(4):  # interleaved, from fresh addresses: only the name differs
        known.append(await timed(behind_proxy, "admin", f"198.51.100.{i}"))
        unknown.append(await timed(behind_proxy, f"khong-co-{i}", f"198.51.100.{100 + i}"))
    ratio = statistics.median(known) / statistics.median(unknown)
    assert 1 / 3 < ratio < 3, (known, unknown)


async def test_a_flood_of_junk_names_does_not_clear_failures(behind_proxy: TestClient) -> None:
    for _ in range(5):
        assert await attempt(behind_proxy, "admin", "doan-sai-mat-khau", "203.0.113.7") == 401
    assert await attempt(behind_proxy, "admin", ADMIN_PASSWORD, "203.0.113.7") == 429
    # 10,001 junk names failing from as many addresses (recorded directly: through HTTP each
    # costs a password check), as a botnet would to push the record out.
    admin_app = next(a for a in behind_proxy.app._subapps if limiter_key in a)
    limiter = admin_app[limiter_key]
    now = time.time()
    for i in range(10_001):
        limiter.failed(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}", f"junk{i}", now)
    assert await attempt(behind_proxy, "admin", ADMIN_PASSWORD, "203.0.113.7") == 429


async def test_guesses_are_counted_per_account_across_addresses(behind_proxy: TestClient) -> None:
    # Two guesses each from five addresses: under every per-address limit.
    for i in range(5):
        for _ in range(2):
            assert await attempt(behind_proxy, "admin", "sai-mat-khau", f"192.0.2.{i}") == 401
    # The account has had enough guesses: the addresses that guessed wrong may not go on...
    assert await attempt(behind_proxy, "admin", ADMIN_PASSWORD, "192.0.2.1") == 429
    # ...but its owner, from an address that has not failed, still signs in.
    assert await attempt(behind_proxy, "admin", ADMIN_PASSWORD, "192.0.2.200") == 302
    # A fresh address gets one guess, not five.
    assert await attempt(behind_proxy, "admin", "sai-mat-khau", "192.0.2.201") == 401
    assert await attempt(behind_proxy, "admin", "sai-mat-khau", "192.0.2.201") == 429


async def test_forwarded_for_is_ignored_without_a_trusted_proxy(client: TestClient) -> None:
    for i in range(5):
        assert await attempt(client, "admin", "sai-mat-khau", f"192.0.2.{i}") == 401
    assert await attempt(client, "admin", ADMIN_PASSWORD, "192.0.2.99") == 429


async def test_a_forged_header_behind_the_proxy_does_not_hide_the_client(
    behind_proxy: TestClient,
) -> None:
    # The proxy appends the real address; whatever the client wrote before it is ignored.
    for i in range(5):
        forged = f"192.0.2.{i}, 203.0.113.50"
        assert await attempt(behind_proxy, "admin", "sai-mat-khau", forged) == 401
    assert await attempt(behind_proxy, "admin", ADMIN_PASSWORD, "192.0.2.77, 203.0.113.50") == 429
    assert await attempt(behind_proxy, "admin", ADMIN_PASSWORD, "203.0.113.51") == 302


async def test_an_old_hash_signs_in_and_is_raised_to_todays_cost(client: TestClient) -> None:
    import hashlib
    import secrets

    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(ADMIN_PASSWORD.encode(), salt=salt, n=2**14, r=8, p=1)
    old = f"scrypt${2**14}$8$1${salt.hex()}${digest.hex()}"
    await client.get("/admin/login")  # the first admin exists once the app has started
    path = Path(client.app[keys.settings_key].database_url.split("///", 1)[1])
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE admin_users SET password_hash = ? WHERE username = 'admin'", (old,))
    assert await attempt(client, "admin", ADMIN_PASSWORD) == 302
    with sqlite3.connect(path) as conn:
        (stored,) = conn.execute("SELECT password_hash FROM admin_users").fetchone()
    assert stored.startswith("scrypt$32768$8$1$")
    assert hash_password("mot-mat-khau-dai").startswith("scrypt$32768$8$1$")
    assert await attempt(client, "admin", ADMIN_PASSWORD) == 302


def test_the_failure_record_is_bounded_and_keeps_offenders() -> None:
    from bot.admin.limiter import FailureLog

    log = FailureLog(limit=5, capacity=100)
    for _ in range(5):
        log.add(("203.0.113.7", "admin"), 1000.0)
    for i in range(10_001):
        log.add(("10.0.0.1", f"junk{i}"), 1001.0)
    assert len(log) <= 100
    assert log.over(("203.0.113.7", "admin"), 1002.0)


async def test_guesses_sent_in_parallel_are_counted_before_the_slow_check(
    client: TestClient,
) -> None:
    statuses = await asyncio.gather(*(attempt(client, "admin", f"sai-{i}") for i in range(12)))
    assert statuses.count(401) <= 5, statuses  # PAIR_MAX guesses, not 12
    assert statuses.count(429) >= 7, statuses


async def test_an_ipv6_client_rotating_addresses_in_its_64_counts_once(
    behind_proxy: TestClient,
) -> None:
    statuses = [
        await attempt(behind_proxy, "admin", "sai", forwarded_for=f"2001:db8:1:2::{i:x}")
        for i in range(1, 26)
    ]
    assert statuses.count(401) <= 5, statuses  # the /64 is one address (PAIR_MAX)
    assert statuses[-1] == 429
