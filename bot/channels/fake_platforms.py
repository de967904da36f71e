"""Trying the channels without real accounts.

`python -m bot simulate facebook|zalo TEXT` sends a correctly signed webhook to a running
server; `python -m bot fake-platforms` serves a local stand-in for the Graph API and the Zalo
OpenAPI that prints what the assistant would send. Point the server at it with
FACEBOOK_GRAPH_URL=http://127.0.0.1:9900/v21.0, ZALO_API_URL and ZALO_OAUTH_URL=http://127.0.0.1:9900.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
import uuid
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels.facebook.signing import facebook_signature
from bot.channels.zalo.signing import zalo_signature
from bot.settings import Settings

DEMO_PAGE_ID = "100000000000001"
DEMO_OA_ID = "200000000000001"


def facebook_webhook(text: str, psid: str, page_id: str = DEMO_PAGE_ID) -> dict[str, Any]:
    now = int(time.time() * 1000)
    return {
        "object": "page",
        "entry": [
            {
                "id": page_id,
                "time": now,
                "messaging": [
                    {
                        "sender": {"id": psid},
                        "recipient": {"id": page_id},
                        "timestamp": now,
                        "message": {"mid": f"m_sim_{uuid.uuid4().hex}", "text": text},
                    }
                ],
            }
        ],
    }


def zalo_webhook(text: str, user_id: str, app_id: str, oa_id: str = DEMO_OA_ID) -> dict[str, Any]:
    return {
        "app_id": app_id,
        "user_id_by_app": user_id,
        "event_name": "user_send_text",
        "sender": {"id": user_id},
        "recipient": {"id": oa_id},
        "message": {"msg_id": uuid.uuid4().hex, "text": text},
        "timestamp": str(int(time.time() * 1000)),
    }


def signed_request(
    settings: Settings, platform: str, text: str, user: str
) -> tuple[bytes, dict[str, str]]:
    headers = {"Content-Type": "application/json"}
    if platform == "facebook":
        if not settings.facebook.app_secret:
            raise SystemExit("FACEBOOK_APP_SECRET is unset: the server would refuse the signature")
        raw = json.dumps(facebook_webhook(text, user)).encode()
        headers["X-Hub-Signature-256"] = facebook_signature(settings.facebook.app_secret, raw)
    else:
        if not (settings.zalo.app_id and settings.zalo.oa_secret_key):
            raise SystemExit("ZALO_APP_ID / ZALO_OA_SECRET_KEY are unset")
        body = zalo_webhook(text, user, settings.zalo.app_id)
        raw = json.dumps(body).encode()
        headers["X-ZEvent-Signature"] = zalo_signature(
            settings.zalo.app_id, raw, body["timestamp"], settings.zalo.oa_secret_key
        )
    return raw, headers


async def simulate(settings: Settings, platform: str, text: str, user: str, base_url: str) -> int:
    raw, headers = signed_request(settings, platform, text, user)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        started = time.perf_counter()
        async with session.post(
            f"{base_url}/webhooks/{platform}", data=raw, headers=headers
        ) as resp:
            body = await resp.text()
            elapsed = (time.perf_counter() - started) * 1000
    print(f"{resp.status} in {elapsed:.1f} ms: {body}")
    print("The reply goes to the Send API URL the server is configured with.")
    return 0 if resp.status == 200 else 1


def fake_platforms_app() -> web.Application:
    ids = itertools.count(1)

    def show(kind: str, body: Any) -> None:
        print(f"--- {kind}", file=sys.stdout)
        print(json.dumps(body, ensure_ascii=False, indent=2), flush=True)

    async def graph_messages(request: web.Request) -> web.Response:
        body = await request.json()
        if "sender_action" in body:
            return web.json_response({"recipient_id": body["recipient"]["id"]})
        show(f"Facebook -> {body['recipient']['id']}", body.get("message"))
        return web.json_response(
            {"recipient_id": body["recipient"]["id"], "message_id": f"m_fake{next(ids)}"}
        )

    async def graph_profile(request: web.Request) -> web.Response:
        show("Facebook messenger_profile", await request.json())
        return web.json_response({"result": "success"})

    async def zalo_send(request: web.Request) -> web.Response:
        body = await request.json()
        show(f"Zalo -> {body['recipient']['user_id']}", body.get("message"))
        return web.json_response(
            {"error": 0, "message": "Success", "data": {"message_id": f"z_fake{next(ids)}"}}
        )

    async def zalo_oauth(request: web.Request) -> web.Response:
        n = next(ids)
        return web.json_response(
            {
                "access_token": f"fake-at-{n}",
                "refresh_token": f"fake-rt-{n}",
                "expires_in": "90000",
            }
        )

    app = web.Application()
    app.router.add_post("/{version}/me/messages", graph_messages)
    app.router.add_post("/{version}/me/messenger_profile", graph_profile)
    app.router.add_post("/v3.0/oa/message/cs", zalo_send)
    app.router.add_post("/v4/oa/access_token", zalo_oauth)
    return app
