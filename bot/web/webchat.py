"""The web chat: a static page at `/` and its JSON endpoint `POST /webhooks/web`.

`{"sender": "...", "message": "..."}` -> `{"replies": [{"text": ..., "buttons": [...]}]}`.
The sender id is chosen by the browser (random, kept in localStorage); it is pseudonymised like
any platform id before it reaches Rasa or the database.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

from aiohttp import web
from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from bot.db.models import outbox
from bot.engine.runner import AssistantNotReady
from bot.web import keys
from bot.web.edge import handle_message, ref_for
from bot.web.errors import json_error

STATIC_DIR = Path(__file__).parent / "static"
_SENDER = re.compile(r"^[A-Za-z0-9_.:\-]{1,128}$")


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


async def web_message(request: web.Request) -> web.Response:
    if request.content_type != "application/json":
        return json_error(415, "Cần gửi JSON (Content-Type: application/json).")
    try:
        payload = await request.json()
    except ValueError:
        return json_error(400, "Nội dung không phải JSON hợp lệ.")
    if not isinstance(payload, dict):
        return json_error(400, "Cần một đối tượng JSON có 'sender' và 'message'.")
    sender, message = payload.get("sender"), payload.get("message")
    if not isinstance(sender, str) or not _SENDER.match(sender):
        return json_error(400, "'sender' phải là chuỗi 1-128 ký tự (chữ, số, _ . : -).")
    if not isinstance(message, str):
        return json_error(400, "'message' phải là chuỗi.")
    try:
        ref = ref_for(request.app, "web", "web", sender)
        outcome = await handle_message(request.app, channel="web", ref=ref, text=message)
    except AssistantNotReady:
        response = json_error(503)
        response.headers["Retry-After"] = "5"
        return response
    if outcome.citizen is not None:
        await request.app[keys.services_key].recorder.outbound(
            outcome.citizen, "web", outcome.topic, [r.text for r in outcome.replies]
        )
    metrics = request.app[keys.services_key].metrics
    metrics.messages_in.labels("web").inc()
    metrics.messages_out.labels("web", "sent").inc(len(outcome.replies))
    handoff = outcome.citizen is not None and outcome.citizen.handoff_id is not None
    return web.json_response(
        {"replies": [r.as_dict() for r in outcome.replies], "handoff": handoff}
    )


async def web_poll(request: web.Request) -> web.Response:
    """Messages a volunteer sent to this web chat user since the last poll."""
    try:
        payload = await request.json()
    except ValueError:
        return json_error(400, "Nội dung không phải JSON hợp lệ.")
    sender = payload.get("sender") if isinstance(payload, dict) else None
    if not isinstance(sender, str) or not _SENDER.match(sender):
        return json_error(400, "'sender' phải là chuỗi 1-128 ký tự (chữ, số, _ . : -).")
    ref = ref_for(request.app, "web", "web", sender)
    now = request.app[keys.services_key].clock()
    replies = await take_web_replies(request.app, ref, now)
    citizen = await request.app[keys.services_key].citizens.get("web", ref)
    handoff = citizen is not None and citizen.handoff_id is not None
    return web.json_response({"replies": replies, "handoff": handoff or bool(replies)})


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
    ids = [row.id for row in rows]

    def work(conn: Connection) -> None:
        conn.execute(update(outbox).where(outbox.c.id.in_(ids)).values(status="sent", sent_at=now))

    await app[keys.services_key].writer.write(work)
    return [json.loads(row.body) for row in rows]


def setup(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_post("/webhooks/web", web_message)
    app.router.add_post("/webhooks/web/poll", web_poll)
    app.router.add_static("/static/", STATIC_DIR, name="static", append_version=True)
