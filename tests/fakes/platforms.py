"""Fake Graph API and fake Zalo OpenAPI/OAuth: real aiohttp servers on loopback.

They record every request and answer from a script (a queue of responses per route), so tests
exercise the real HTTP clients, timeouts and error mapping. `wait_for(n)` awaits n recorded
sends without sleeping. Like the platforms, they remember the ids of the messages they accepted
for each user, and write the delivery and read receipts a webhook would bring for them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Recorded:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class Scripted:
    status: int = 200
    body: Any = None
    delay_s: float = 0.0


@dataclass
class Served:
    """An image on the platform's CDN: its bytes, a delay before the answer, and whether it is
    sent in chunks without a Content-Length (the size cap must stop the reading)."""

    body: bytes
    content_type: str = "image/png"
    delay_s: float = 0.0
    chunked: bool = False


@dataclass
class FakePlatform:
    server: TestServer | None = None
    requests: list[Recorded] = field(default_factory=list)
    scripts: dict[str, deque[Scripted]] = field(default_factory=dict)
    # GET /cdn/<name>: images citizens sent, as the platform's CDN serves them.
    images: dict[str, Served] = field(default_factory=dict)
    image_fetches: list[str] = field(default_factory=list)
    # The ids of the messages accepted for each user, in order (what receipts confirm).
    issued: dict[str, list[str]] = field(default_factory=dict)
    _changed: asyncio.Condition | None = None
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def script(self, path: str, *responses: Scripted) -> None:
        self.scripts.setdefault(path, deque()).extend(responses)

    def sent(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    async def wait_for(self, path: str, count: int, timeout: float = 20.0) -> list[Recorded]:
        assert self._changed is not None
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.sent(path)) >= count), timeout
            )
        return self.sent(path)

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    async def _record(self, request: web.Request) -> Recorded:
        raw = await request.read()
        if request.content_type == "application/json":
            body: Any = json.loads(raw) if raw else None
        else:
            body = dict(await request.post()) if raw else None
        recorded = Recorded(request.path, dict(request.query), dict(request.headers), body)
        self.requests.append(recorded)
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()
        return recorded

    async def _answer(self, path: str, default: Any) -> web.Response:
        queue = self.scripts.get(path)
        scripted = queue.popleft() if queue else Scripted(200, default)
        if scripted.delay_s:
            await asyncio.sleep(scripted.delay_s)
        body = scripted.body if scripted.body is not None else default
        return web.json_response(body, status=scripted.status)

    def _issue(self, user: str, message_id: str, response: web.Response) -> None:
        """Remember `message_id` for `user` when the answer accepted it (not a scripted error)."""
        if response.status == 200 and message_id in (response.text or ""):
            self.issued.setdefault(user, []).append(message_id)

    def serve_image(self, name: str, served: Served) -> str:
        """Serve an image at GET /cdn/<name>; its address, as an attachment's payload gives it."""
        self.images[name] = served
        return f"{self.url}/cdn/{name}"

    async def wait_image_fetches(self, count: int, timeout: float = 20.0) -> list[str]:
        assert self._changed is not None
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.image_fetches) >= count), timeout
            )
        return self.image_fetches

    async def _image(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.image_fetches.append(name)
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()
        served = self.images.get(name)
        if served is None:
            return web.Response(status=404)
        if served.delay_s:
            await asyncio.sleep(served.delay_s)
        if not served.chunked:
            return web.Response(body=served.body, content_type=served.content_type)
        response = web.StreamResponse(headers={"Content-Type": served.content_type})
        response.enable_chunked_encoding()
        await response.prepare(request)
        step = 256 * 1024
        for start in range(0, len(served.body), step):
            await response.write(served.body[start : start + step])
        await response.write_eof()
        return response

    async def start(self, app: web.Application) -> None:
        app.router.add_get("/cdn/{name}", self._image)
        self._changed = asyncio.Condition()
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()


class FakeGraph(FakePlatform):
    """`POST /v21.0/me/messages` (messages and sender actions) and the Messenger Profile API."""

    MESSAGES = "/v21.0/me/messages"
    PROFILE = "/v21.0/me/messenger_profile"

    async def start(self) -> None:  # type: ignore[override]
        app = web.Application()
        app.router.add_post(self.MESSAGES, self._messages)
        app.router.add_post(self.PROFILE, self._profile)
        await super().start(app)

    @property
    def graph_url(self) -> str:
        return f"{self.url}/v21.0"

    def messages(self) -> list[Recorded]:
        """Real messages (not typing indicators)."""
        return [r for r in self.sent(self.MESSAGES) if "message" in (r.body or {})]

    async def wait_messages(self, count: int, timeout: float = 20.0) -> list[Recorded]:
        assert self._changed is not None
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.messages()) >= count), timeout
            )
        return self.messages()

    async def wait_messages_to(
        self, psid: str, count: int, timeout: float = 20.0
    ) -> list[Recorded]:
        """Real messages to one user, once `count` of them are sent."""

        def to_user() -> list[Recorded]:
            return [r for r in self.messages() if r.body["recipient"]["id"] == psid]

        assert self._changed is not None
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(to_user()) >= count), timeout
            )
        return to_user()

    async def _messages(self, request: web.Request) -> web.Response:
        recorded = await self._record(request)
        if "sender_action" in (recorded.body or {}):
            return web.json_response({"recipient_id": recorded.body["recipient"]["id"]})
        psid = recorded.body["recipient"]["id"]
        mid = f"m_out{next(self._ids)}"
        response = await self._answer(self.MESSAGES, {"recipient_id": psid, "message_id": mid})
        self._issue(psid, mid, response)
        return response

    def delivery(self, psid: str, page_id: str) -> dict[str, Any]:
        """The `delivery` webhook Messenger sends once the messages reach the user's phone:
        every id accepted for them, and a watermark of now."""
        now = int(time.time() * 1000)
        receipt = {"mids": list(self.issued.get(psid, [])), "watermark": now}
        return _messenger_event(psid, page_id, now, {"delivery": receipt})

    def read(self, psid: str, page_id: str) -> dict[str, Any]:
        """The `read` webhook: everything sent to the user before now was read."""
        now = int(time.time() * 1000)
        return _messenger_event(psid, page_id, now, {"read": {"watermark": now}})

    async def _profile(self, request: web.Request) -> web.Response:
        await self._record(request)
        return await self._answer(self.PROFILE, {"result": "success"})


class FakeZalo(FakePlatform):
    """`POST /v3.0/oa/message/cs` and the OAuth refresh `POST /v4/oa/access_token`."""

    SEND = "/v3.0/oa/message/cs"
    OAUTH = "/v4/oa/access_token"

    def __init__(self) -> None:
        super().__init__()
        self.valid_tokens: set[str] = {"AT-1"}
        self.refresh_tokens: set[str] = {"RT-1"}

    async def start(self) -> None:  # type: ignore[override]
        app = web.Application()
        app.router.add_post(self.SEND, self._send)
        app.router.add_post(self.OAUTH, self._oauth)
        await super().start(app)

    async def _send(self, request: web.Request) -> web.Response:
        recorded = await self._record(request)
        if recorded.headers.get("access_token") not in self.valid_tokens:
            return web.json_response({"error": -216, "message": "Access token is invalid"})
        user = recorded.body["recipient"]["user_id"]
        message_id = f"z_out{next(self._ids)}"
        default = {
            "error": 0,
            "message": "Success",
            "data": {"message_id": message_id, "user_id": user},
        }
        response = await self._answer(self.SEND, default)
        self._issue(user, message_id, response)
        return response

    def receipt(self, event_name: str, user_id: str, app_id: str, oa_id: str) -> dict[str, Any]:
        """`user_received_message` or `user_seen_message`, as the OA's webhook gets it: from
        the OA to the user, confirming every message id accepted for the user."""
        return {
            "app_id": app_id,
            "event_name": event_name,
            "sender": {"id": oa_id},
            "recipient": {"id": user_id},
            "message": {"msg_ids": list(self.issued.get(user_id, []))},
            "timestamp": str(int(time.time() * 1000)),
        }

    async def _oauth(self, request: web.Request) -> web.Response:
        recorded = await self._record(request)
        form = recorded.body or {}
        if form.get("refresh_token") not in self.refresh_tokens:
            return web.json_response({"error_name": "Invalid refresh token", "error": -14014})
        # Single use: the old refresh token dies, a new pair is issued.
        self.refresh_tokens.discard(form["refresh_token"])
        n = next(self._ids)
        self.valid_tokens = {f"AT-new{n}"}
        self.refresh_tokens.add(f"RT-new{n}")
        await asyncio.sleep(0.05)  # a slow OAuth server widens any race window
        return web.json_response(
            {"access_token": f"AT-new{n}", "refresh_token": f"RT-new{n}", "expires_in": "90000"}
        )


def _messenger_event(psid: str, page_id: str, now: int, receipt: dict[str, Any]) -> dict[str, Any]:
    event = {"sender": {"id": psid}, "recipient": {"id": page_id}, "timestamp": now, **receipt}
    return {"object": "page", "entry": [{"id": page_id, "time": now, "messaging": [event]}]}
