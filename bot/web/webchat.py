"""The web chat: a static page at `/` and its JSON endpoints.

`POST /webhooks/web/session` -> `{"sender": id, "idle_s": n}`: a new conversation's id, issued by
the server and signed, so nobody can invent citizens or write as someone else.
`POST /webhooks/web` `{"sender": id, "message": "..."}` -> `{"replies": [{"text": ..., "buttons":
[...]}], "handoff": bool, "sender": id}`; each answer carries the id re-signed with the time, and
an id unused for `WEBCHAT_IDLE_MIN` is refused (401): the page then starts a new conversation, so
the next person at a shared computer does not inherit it. The id's random part is pseudonymised
like any platform id before it reaches Rasa or the database. Limits per sender and per client
address answer 429 with Retry-After.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from aiohttp import web
from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection

from bot.admin.client import client_address
from bot.core.jsonbody import BadJson, loads_object
from bot.core.privacy import mask_body, resolve_secret
from bot.db.models import outbox
from bot.engine.runner import AssistantNotReady
from bot.pipeline.ratelimit import KeyedLimiter, address_key
from bot.settings import Settings
from bot.web import keys
from bot.web.edge import handle_message, ref_for
from bot.web.errors import json_error

STATIC_DIR = Path(__file__).parent / "static"
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TOKEN = re.compile(r"^([A-Za-z0-9_-]{1,64})\.(\d{1,12})\.([0-9a-f]{32})$")
# Issue times a little ahead of this worker's clock come from another worker, not a forger.
_CLOCK_SKEW_S = 60

BAD_JSON = "Nội dung không phải JSON hợp lệ."
START_AGAIN = (
    "Phiên trò chuyện đã hết hạn hoặc không hợp lệ. Bạn tải lại trang để bắt đầu cuộc trò "
    "chuyện mới nhé."
)
TOO_FAST = "Bạn gửi hơi nhanh, vui lòng chờ {seconds} giây rồi gửi tiếp nhé."
TOO_MANY_SESSIONS = (
    "Có quá nhiều cuộc trò chuyện mới từ địa chỉ mạng này, vui lòng thử lại sau {seconds} giây."
)


class SenderIds:
    """Web chat sender ids: `random.issued.signature`, HMAC-signed with the server's key."""

    def __init__(self, key: bytes, idle_s: int) -> None:
        self._key = key
        self.idle_s = idle_s

    def _sign(self, ident: str, issued: int) -> str:
        message = f"webchat.v1|{ident}|{issued}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]

    def issue(self, now: datetime, ident: str | None = None) -> str:
        """A signed id for `ident` (a new random one by default), valid from `now`."""
        ident = ident or "w" + secrets.token_hex(12)
        if not _ID.match(ident):
            raise ValueError("a web chat id is 1-64 letters, digits, _ or -")
        issued = int(now.timestamp())
        return f"{ident}.{issued}.{self._sign(ident, issued)}"

    def verify(self, token: str, now: datetime) -> str | None:
        """The id's random part if `token` was signed here and used recently, else None."""
        match = _TOKEN.match(token)
        if match is None:
            return None
        ident, issued = match.group(1), int(match.group(2))
        if not hmac.compare_digest(match.group(3), self._sign(ident, issued)):
            return None
        age = now.timestamp() - issued
        if age > self.idle_s or age < -_CLOCK_SKEW_S:
            return None
        return ident


@dataclass(frozen=True)
class Limits:
    sessions: KeyedLimiter  # new ids per client address
    address: KeyedLimiter  # messages per client address
    sender: KeyedLimiter  # messages per sender
    poll: KeyedLimiter  # polls per sender
    trusted_proxies: tuple[str, ...]  # TRUSTED_PROXIES, shared with the admin login

    def client(self, request: web.Request) -> str:
        return address_key(client_address(request, self.trusted_proxies))


ids_key: web.AppKey[SenderIds] = web.AppKey("webchat_ids")
limits_key: web.AppKey[Limits] = web.AppKey("webchat_limits")


def limits(settings: Settings) -> Limits:
    sender = settings.webchat_sender_messages
    per_min = settings.webchat_address_messages_per_min
    per_hour = settings.webchat_address_sessions_per_hour
    return Limits(
        sessions=KeyedLimiter(per_hour / 3600, per_hour),
        address=KeyedLimiter(per_min / 60, per_min),
        sender=KeyedLimiter(sender / 10, sender),
        poll=KeyedLimiter(1.0, 10),
        trusted_proxies=settings.trusted_proxies,
    )


def _too_fast(seconds: float, text: str = TOO_FAST) -> web.Response:
    wait = max(1, int(seconds + 0.999))
    response = json_error(429, text.format(seconds=wait))
    response.headers["Retry-After"] = str(wait)
    return response


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


async def new_session(request: web.Request) -> web.Response:
    """A new conversation's id; limited per client address."""
    wait = request.app[limits_key].sessions.retry_after(request.app[limits_key].client(request))
    if wait:
        return _too_fast(wait, TOO_MANY_SESSIONS)
    ids = request.app[ids_key]
    token = ids.issue(request.app[keys.services_key].clock())
    return web.json_response(
        {"sender": token, "idle_s": ids.idle_s}, headers={"Cache-Control": "no-store"}
    )


async def _read_sender(request: web.Request) -> tuple[dict, str] | web.Response:
    """The JSON body and the verified id of its sender, or the error to answer."""
    try:
        payload = loads_object(await request.read())
    except BadJson:
        return json_error(400, BAD_JSON)
    sender = payload.get("sender")
    if not isinstance(sender, str):
        return json_error(400, "Thiếu mã cuộc trò chuyện ('sender') do máy chủ cấp.")
    ident = request.app[ids_key].verify(sender, request.app[keys.services_key].clock())
    if ident is None:
        return json_error(401, START_AGAIN)
    return payload, ident


async def web_message(request: web.Request) -> web.Response:
    if request.content_type != "application/json":
        return json_error(415, "Cần gửi JSON (Content-Type: application/json).")
    limits_ = request.app[limits_key]
    wait = limits_.address.retry_after(limits_.client(request))
    if wait:
        return _too_fast(wait)
    read = await _read_sender(request)
    if isinstance(read, web.Response):
        return read
    payload, ident = read
    message = payload.get("message")
    if not isinstance(message, str):
        return json_error(400, "'message' phải là chuỗi.")
    wait = limits_.sender.retry_after(ident)
    if wait:
        return _too_fast(wait)
    services = request.app[keys.services_key]
    try:
        ref = ref_for(request.app, "web", "web", ident)
        outcome = await handle_message(request.app, channel="web", ref=ref, text=message)
    except AssistantNotReady:
        response = json_error(503)
        response.headers["Retry-After"] = "5"
        return response
    if outcome.citizen is not None:
        await services.recorder.outbound(
            outcome.citizen, "web", outcome.topic, [r.text for r in outcome.replies]
        )
    services.metrics.messages_in.labels("web").inc()
    services.metrics.messages_out.labels("web", "sent").inc(len(outcome.replies))
    handoff = outcome.citizen is not None and outcome.citizen.handoff_id is not None
    return web.json_response(
        {
            "replies": [r.as_dict() for r in outcome.replies],
            "handoff": handoff,
            "sender": request.app[ids_key].issue(services.clock(), ident),
        }
    )


async def web_poll(request: web.Request) -> web.Response:
    """Messages a volunteer sent to this web chat user since the last poll."""
    read = await _read_sender(request)
    if isinstance(read, web.Response):
        return read
    _, ident = read
    wait = request.app[limits_key].poll.retry_after(ident)
    if wait:
        return _too_fast(wait)
    services = request.app[keys.services_key]
    ref = ref_for(request.app, "web", "web", ident)
    now = services.clock()
    replies = await take_web_replies(request.app, ref, now)
    citizen = await services.citizens.get("web", ref)
    handoff = citizen is not None and citizen.handoff_id is not None
    return web.json_response(
        {
            "replies": replies,
            "handoff": handoff or bool(replies),
            "sender": request.app[ids_key].issue(now, ident),
        }
    )


async def take_web_replies(app: web.Application, ref: str, now: datetime) -> list[dict]:
    """Pending web outbox rows of `ref`, oldest first, marked sent as they are handed over."""
    async with app[keys.services_key].engine.connect() as conn:
        rows = (
            await conn.execute(
                select(outbox.c.id, outbox.c.body)
                .where(
                    outbox.c.platform == "web",
                    outbox.c.user_ref == ref,
                    outbox.c.status == "pending",
                )
                .order_by(outbox.c.id)
            )
        ).all()
    if not rows:
        return []
    # Handed over: what stays for the retention period is masked, in the same statement.
    settled = [{"row_id": row.id, "masked": mask_body(row.body)} for row in rows]

    def work(conn: Connection) -> None:
        conn.execute(
            update(outbox)
            .where(outbox.c.id == bindparam("row_id"))
            .values(status="sent", sent_at=now, body=bindparam("masked")),
            settled,
        )

    await app[keys.services_key].writer.write(work)
    return [json.loads(row.body) for row in rows]


def _webchat_key(settings: Settings) -> bytes:
    return resolve_secret(settings.webchat_key, settings.var_dir, "webchat.key", "WEBCHAT_KEY")


def setup(app: web.Application) -> None:
    settings = app[keys.settings_key]
    app[ids_key] = SenderIds(_webchat_key(settings), settings.webchat_idle_min * 60)
    app[limits_key] = limits(settings)
    app.router.add_get("/", index)
    app.router.add_post("/webhooks/web/session", new_session)
    app.router.add_post("/webhooks/web", web_message)
    app.router.add_post("/webhooks/web/poll", web_poll)
    app.router.add_static("/static/", STATIC_DIR, name="static", append_version=True)
