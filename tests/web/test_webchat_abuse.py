"""The public web chat against abuse: server-issued signed sender ids, limits per sender and per
address, and conversations that end when left idle (shared commune computers)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path

from aiohttp.test_utils import TestClient

from bot.engine.runner import AssistantRunner
from bot.runtime.app import create_app
from bot.web.webchat import ids_key
from tests.conftest import ClientFactory
from tests.fakes.channels import Channels, login, web_sender
from tests.fakes.settings import make_settings


async def new_sender(client: TestClient, **headers: str) -> str:
    resp = await client.post("/webhooks/web/session", headers=headers)
    assert resp.status == 200, await resp.text()
    return str((await resp.json())["sender"])


async def web_figures(channels: Channels) -> dict:
    """What the steering committee's dashboard counts for the web chat."""
    stats = await (await channels.client.get("/admin/api/stats")).json()
    web = stats["by_channel"].get("web", {"messages": 0})
    return {"messages": web["messages"], "conversations": stats["conversations"]}


async def test_forty_messages_in_a_second_answer_only_the_first_ten(channels: Channels) -> None:
    client = channels.client
    sender = await new_sender(client)
    responses = await asyncio.gather(
        *(
            client.post("/webhooks/web", json={"sender": sender, "message": f"xin chao {i}"})
            for i in range(40)
        )
    )
    statuses = sorted(r.status for r in responses)
    assert statuses == [200] * 10 + [429] * 30
    refused = next(r for r in responses if r.status == 429)
    assert int(refused.headers["Retry-After"]) >= 1
    assert "chờ" in (await refused.json())["error"]
    await asyncio.sleep(0.3)
    await login(channels)
    assert await web_figures(channels) == {"messages": 10, "conversations": 10}
    assert channels.count("citizens") <= 1


async def test_invented_or_forged_senders_are_refused_and_create_no_citizen(
    channels: Channels,
) -> None:
    client = channels.client
    real = await new_sender(client)
    ident, issued, signature = real.split(".")
    forged = [
        "browser-1",  # what any script could choose before
        f"{ident}.{issued}.{'0' * 32}",
        f"someone-else.{issued}.{signature}",
        f"{ident}.{int(issued) + 5}.{signature}",
        f"{ident}.{issued}",
        "",
    ]
    for sender in forged:
        resp = await client.post("/webhooks/web", json={"sender": sender, "message": "xin chao"})
        assert resp.status == 401, sender
        assert "cuộc trò chuyện mới" in (await resp.json())["error"]
        poll = await client.post("/webhooks/web/poll", json={"sender": sender})
        assert poll.status == 401
    assert channels.count("citizens") == 0
    assert channels.count("messages") == 0
    await login(channels)
    assert await web_figures(channels) == {"messages": 0, "conversations": 0}


async def test_an_idle_id_is_refused_and_a_new_one_starts_a_fresh_conversation(
    aiohttp_client: ClientFactory, tmp_path: Path, runner: AssistantRunner
) -> None:
    now = [datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)]
    settings = make_settings(tmp_path)
    client = await aiohttp_client(create_app(settings, runner=runner, clock=lambda: now[0]))
    first = await new_sender(client)
    resp = await client.post("/webhooks/web", json={"sender": first, "message": "xin chao"})
    assert resp.status == 200
    refreshed = (await resp.json())["sender"]
    # Each answer renews the id: 25 minutes later it still works.
    now[0] += timedelta(minutes=25)
    resp = await client.post("/webhooks/web", json={"sender": refreshed, "message": "vneid"})
    assert resp.status == 200
    refreshed = (await resp.json())["sender"]
    # The citizen leaves the commune computer; 31 minutes later the id is stale.
    now[0] += timedelta(minutes=31)
    stale = await client.post("/webhooks/web", json={"sender": refreshed, "message": "xin chao"})
    assert stale.status == 401
    second = await new_sender(client)
    assert second.split(".")[0] != first.split(".")[0]
    resp = await client.post("/webhooks/web", json={"sender": second, "message": "xin chao"})
    assert resp.status == 200


async def test_one_address_cannot_mint_endless_conversations(
    aiohttp_client: ClientFactory, tmp_path: Path, runner: AssistantRunner
) -> None:
    settings = make_settings(tmp_path, WEBCHAT_ADDRESS_SESSIONS_PER_HOUR="5")
    client = await aiohttp_client(create_app(settings, runner=runner))
    statuses = [(await client.post("/webhooks/web/session")).status for _ in range(8)]
    assert statuses == [200] * 5 + [429] * 3
    refused = await client.post("/webhooks/web/session")
    assert int(refused.headers["Retry-After"]) > 0
    assert "địa chỉ mạng" in (await refused.json())["error"]
    # Without a trusted proxy configured, X-Forwarded-For changes nothing.
    spoofed = await client.post("/webhooks/web/session", headers={"X-Forwarded-For": "10.9.8.7"})
    assert spoofed.status == 429


async def test_behind_a_trusted_proxy_each_citizen_address_counts_apart(
    aiohttp_client: ClientFactory, tmp_path: Path, runner: AssistantRunner
) -> None:
    settings = make_settings(
        tmp_path, WEBCHAT_ADDRESS_SESSIONS_PER_HOUR="2", TRUSTED_PROXIES="127.0.0.1"
    )
    client = await aiohttp_client(create_app(settings, runner=runner))

    async def status(forwarded: str) -> int:
        resp = await client.post("/webhooks/web/session", headers={"X-Forwarded-For": forwarded})
        return resp.status

    assert [await status("203.0.113.5") for _ in range(3)] == [200, 200, 429]
    assert await status("203.0.113.6") == 200
    # One IPv6 subscriber's /64 is one address.
    assert [await status(f"2001:db8:1:2::{n}") for n in (1, 2, 3)] == [200, 200, 429]


async def test_one_address_cannot_spread_a_flood_over_many_ids(
    aiohttp_client: ClientFactory, tmp_path: Path, runner: AssistantRunner
) -> None:
    settings = make_settings(tmp_path, WEBCHAT_ADDRESS_MESSAGES_PER_MIN="12")
    client = await aiohttp_client(create_app(settings, runner=runner))
    ids = client.app[ids_key]
    now = datetime.now(timezone.utc)
    senders = [ids.issue(now) for _ in range(6)]
    statuses = []
    for sender in senders * 3:
        resp = await client.post("/webhooks/web", json={"sender": sender, "message": "xin chao"})
        statuses.append(resp.status)
    assert statuses.count(200) == 12
    assert statuses[12:] == [429] * 6


async def test_a_lone_surrogate_is_answered_with_the_text_cleaned(client: TestClient) -> None:
    sender = web_sender(client.app, "surrogate")
    body = '{"sender": "' + sender + '", "message": "xin ch\\ud800ao"}'
    resp = await client.post(
        "/webhooks/web", data=body, headers={"Content-Type": "application/json"}
    )
    assert resp.status == 200
    assert (await resp.json())["replies"]


async def test_deeply_nested_json_is_a_400_not_a_500(client: TestClient) -> None:
    for path in ("/webhooks/web", "/webhooks/web/poll"):
        resp = await client.post(
            path, data=b"[" * 100_000, headers={"Content-Type": "application/json"}
        )
        assert resp.status == 400
        assert (await resp.json())["error"] == "Nội dung không phải JSON hợp lệ."
