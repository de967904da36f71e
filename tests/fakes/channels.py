"""Helpers for tests of a running app with both channels on, talking to the fake platforms
on loopback (the fixtures are in tests/conftest.py): settings, signed webhooks, events, login."""

from __future__ import annotations

import json
import re
import socket
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, CookieJar, web
from aiohttp.test_utils import TestClient

from bot.admin.auth import create_user
from bot.channels.facebook.signing import facebook_signature
from bot.channels.zalo.signing import zalo_signature
from bot.settings import Settings
from bot.web import keys
from bot.web.edge import ref_for
from bot.web.webchat import ids_key
from tests.fakes.platforms import FakeGraph, FakeZalo
from tests.fakes.settings import make_settings

APP_SECRET = "fb-app-secret"
VERIFY_TOKEN = "fb-verify-token"
PAGE_TOKEN = "fb-page-token"
PAGE_ID = "102938475610293"
ZALO_APP_ID = "3608465248940903967"
ZALO_OA_SECRET = "zalo-oa-secret"
OA_ID = "388613280878808645"


def channel_settings(tmp_path: Path, graph: FakeGraph, zalo: FakeZalo, **extra: str) -> Settings:
    return make_settings(
        tmp_path,
        FACEBOOK_APP_SECRET=APP_SECRET,
        FACEBOOK_VERIFY_TOKEN=VERIFY_TOKEN,
        FACEBOOK_PAGE_ACCESS_TOKEN=PAGE_TOKEN,
        FACEBOOK_GRAPH_URL=graph.graph_url,
        ZALO_APP_ID=ZALO_APP_ID,
        ZALO_APP_SECRET="zalo-app-secret",
        ZALO_OA_SECRET_KEY=ZALO_OA_SECRET,
        ZALO_ACCESS_TOKEN="AT-1",
        ZALO_REFRESH_TOKEN="RT-1",
        ZALO_API_URL=zalo.url,
        ZALO_OAUTH_URL=zalo.url,
        **extra,
    )


@dataclass
class Channels:
    client: TestClient
    settings: Settings
    graph: FakeGraph
    zalo: FakeZalo

    @property
    def db(self) -> Path:
        return Path(self.settings.database_url.split("///", 1)[1])

    def count(self, table: str, where: str = "1=1") -> int:
        with sqlite3.connect(self.db) as conn:
            return int(conn.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}").fetchone()[0])  # noqa: S608

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db) as conn:
            return conn.execute(sql).fetchall()

    def consented(self, platform: str, *user_ids: str, commune: str | None = None) -> None:
        """These citizens already answered the consent notice (yes): returning users, so a test
        of the pipeline sees only the answers to its own questions."""
        page = {"facebook": PAGE_ID, "zalo": OA_ID, "web": "web"}[platform]
        now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
        with sqlite3.connect(self.db) as conn:
            for user_id in user_ids:
                conn.execute(
                    "INSERT INTO citizens (user_ref, channel, consent, consent_at, created_at,"
                    " updated_at, commune) VALUES (?, ?, 'granted', ?, ?, ?, ?)",
                    (
                        ref_for(self.client.app, platform, page, user_id),
                        platform,
                        now,
                        now,
                        now,
                        commune,
                    ),
                )

    async def post_facebook(self, body: dict[str, Any] | bytes, signature: str | None = "ok"):  # type: ignore[no-untyped-def]
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if signature == "ok":
            headers["X-Hub-Signature-256"] = facebook_signature(APP_SECRET, raw)
        elif signature is not None:
            headers["X-Hub-Signature-256"] = signature
        return await self.client.post("/webhooks/facebook", data=raw, headers=headers)

    async def post_zalo(self, body: dict[str, Any] | bytes, signature: str | None = "ok"):  # type: ignore[no-untyped-def]
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if signature == "ok":
            timestamp = str(json.loads(raw).get("timestamp", ""))
            headers["X-ZEvent-Signature"] = zalo_signature(
                ZALO_APP_ID, raw, timestamp, ZALO_OA_SECRET
            )
        elif signature is not None:
            headers["X-ZEvent-Signature"] = signature
        return await self.client.post("/webhooks/zalo", data=raw, headers=headers)


def fb_text(psid: str, text: str, mid: str, *, quick_reply: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"mid": mid, "text": text}
    if quick_reply:
        message["quick_reply"] = {"payload": quick_reply}
    return fb_envelope(
        {
            "sender": {"id": psid},
            "recipient": {"id": PAGE_ID},
            "timestamp": 1718000000123,
            "message": message,
        }
    )


def fb_envelope(*events: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "page",
        "entry": [{"id": PAGE_ID, "time": 1718000000500, "messaging": list(events)}],
    }


def zalo_event(name: str, user_id: str, msg_id: str, **message: Any) -> dict[str, Any]:
    return {
        "app_id": ZALO_APP_ID,
        "user_id_by_app": "552177279717587730",
        "event_name": name,
        "sender": {"id": user_id},
        "recipient": {"id": OA_ID},
        "message": {"msg_id": msg_id, **message},
        # Now: the gateway refuses a signed event outside its replay window.
        "timestamp": str(int(time.time() * 1000)),
    }


ADMIN_PASSWORD = "mat-khau-quan-tri-1"


async def login(
    channels: Channels, name: str = "admin", role: str = "admin", password: str = ADMIN_PASSWORD
) -> None:
    """An account of `role` created and logged in on the channels' client."""
    app = channels.client.app
    services = app[keys.services_key]
    await create_user(services.writer, name, password, role, services.clock())
    html = await (await channels.client.get("/admin/login")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    resp = await channels.client.post(
        "/admin/login",
        data={"csrf": token, "username": name, "password": password},
        allow_redirects=False,
    )
    assert resp.status == 302


async def login_volunteer(channels: Channels, name: str = "tnv.camlam") -> str:
    """A volunteer logged in; the CSRF token of the handoffs page."""
    await login(channels, name, "volunteer")
    page = await (await channels.client.get("/admin/handoffs")).text()
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def web_sender(app: web.Application, name: str = "") -> str:
    """A web chat sender id signed by `app`, as a page gets it from POST /webhooks/web/session;
    `name` is its random part, what `Channels.consented("web", name)` and `ref_for` take."""
    return app[ids_key].issue(app[keys.services_key].clock(), name or None)


async def web_ask(client: TestClient, message: str, sender: str) -> list[dict[str, Any]]:
    """The replies the web chat gives `sender` (a name, signed by the app) for `message`."""
    resp = await client.post(
        "/webhooks/web", json={"sender": web_sender(client.app, sender), "message": message}
    )
    assert resp.status == 200
    return list((await resp.json())["replies"])


def web_text(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r["text"] for r in replies)


async def second_client(client: TestClient) -> ClientSession:
    """Another browser on the same server: its own cookies (another admin login)."""
    origin = client.make_url("")
    jar = CookieJar(unsafe=True, treat_as_secure_origin=origin)  # as browsers treat loopback
    return ClientSession(base_url=origin, cookie_jar=jar)


async def login_elsewhere(
    channels: Channels, browser: ClientSession, name: str, role: str = "volunteer"
) -> str:
    """An account of `role` created and logged in on `browser` (see `second_client`); the CSRF
    token of its handoffs page."""
    services = channels.client.app[keys.services_key]
    await create_user(services.writer, name, ADMIN_PASSWORD, role, services.clock())
    html = await (await browser.get("/admin/login")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    resp = await browser.post(
        "/admin/login",
        data={"csrf": token, "username": name, "password": ADMIN_PASSWORD},
        allow_redirects=False,
    )
    assert resp.status == 302
    page = await (await browser.get("/admin/handoffs")).text()
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
