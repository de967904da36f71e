"""A running app with both channels on, talking to fake platforms on loopback."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot import outbox as outbox_module
from bot.app import create_app
from bot.channels.signing import facebook_signature, zalo_signature
from bot.conversation import ref_for
from bot.engine.runner import AssistantRunner
from bot.settings import Settings
from tests.conftest import make_settings
from tests.fakes.platforms import FakeGraph, FakeZalo

APP_SECRET = "fb-app-secret"
VERIFY_TOKEN = "fb-verify-token"
PAGE_TOKEN = "fb-page-token"
PAGE_ID = "102938475610293"
ZALO_APP_ID = "3608465248940903967"
ZALO_OA_SECRET = "zalo-oa-secret"
OA_ID = "388613280878808645"

ClientFactory = Callable[[web.Application], Awaitable[TestClient]]


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    # Retries keep their exponential shape, on a millisecond scale.
    monkeypatch.setattr(outbox_module, "BASE_BACKOFF_S", 0.01)


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    fake = FakeGraph()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    fake = FakeZalo()
    await fake.start()
    yield fake
    await fake.close()


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


@pytest.fixture
async def channels(
    aiohttp_client: ClientFactory,
    tmp_path: Path,
    runner: AssistantRunner,
    graph: FakeGraph,
    zalo: FakeZalo,
) -> Channels:
    settings = channel_settings(tmp_path, graph, zalo)
    client = await aiohttp_client(create_app(settings, runner=runner))
    return Channels(client, settings, graph, zalo)


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
        "timestamp": "1718000000123",
    }
