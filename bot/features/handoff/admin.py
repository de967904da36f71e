"""The volunteers' desk in the admin pages: the queue of handed-off conversations, one
conversation's history (masked), claim, reply through the citizen's channel, hand back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy import and_, select

from bot.admin.auth import Session
from bot.admin.guard import require
from bot.admin.keys import FeaturePages, services_key
from bot.channels.windows import window_state
from bot.core.vntime import aware
from bot.db.models import handoff_messages, handoffs, messages, recipients
from bot.features.handoff import desk as handoff
from bot.features.handoff.desk import HandoffDesk

HISTORY_BEFORE = 20  # messages with the assistant shown before the handoff (consenting citizens)
REPLY_LIMIT = 1900
REASONS = {"request": "người dân yêu cầu", "fallbacks": "trợ lý không hiểu", "button": "bấm nút"}
desk_key: web.AppKey[HandoffDesk] = web.AppKey("handoff_desk")
NOT_YOURS = (
    "Cuộc trò chuyện này do {name} nhận hỗ trợ: chỉ người đã nhận mới được trả lời hoặc trả lại "
    "cho trợ lý. Cần tiếp quản, bạn nhờ quản trị viên."
)
CLAIM_FIRST = "Hãy nhận cuộc trò chuyện trước khi trả lại cho trợ lý."


def citizen_label(ref: str) -> str:
    """What volunteers call a citizen: a short pseudonym, never a name or platform id."""
    return f"Người dân #{ref[:6]}"


def _minutes(since: datetime | None, now: datetime) -> int:
    return int((now - aware(since)).total_seconds() // 60) if since else 0


@require()
async def queue(request: web.Request, session: Session) -> web.StreamResponse:
    now = request.app[services_key].clock()
    async with request.app[services_key].engine.connect() as conn:
        open_rows = (
            await conn.execute(
                select(handoffs)
                .where(handoffs.c.status.in_(handoff.OPEN_STATUSES))
                .order_by(handoffs.c.status.desc(), handoffs.c.created_at)
            )
        ).all()
        closed_rows = (
            await conn.execute(
                select(handoffs)
                .where(handoffs.c.status.not_in(handoff.OPEN_STATUSES))
                .order_by(handoffs.c.id.desc())
                .limit(20)
            )
        ).all()
    items = [_item(row, now) for row in open_rows]
    closed = [_item(row, now) for row in closed_rows]
    return aiohttp_jinja2.render_template(
        "handoffs.html", request, {"session": session, "items": items, "closed": closed}
    )


def _item(row: Any, now: datetime) -> dict[str, Any]:
    return {
        "id": row.id,
        "who": citizen_label(row.user_ref),
        "channel": row.channel,
        "reason": REASONS.get(row.reason, row.reason),
        "status": row.status,
        "waiting_min": _minutes(row.created_at, now),
        "claimed_by": row.claimed_by,
    }


async def _load(request: web.Request, handoff_id: int) -> tuple[Any, list[dict[str, Any]], Any]:
    async with request.app[services_key].engine.connect() as conn:
        row = (await conn.execute(select(handoffs).where(handoffs.c.id == handoff_id))).first()
        if row is None:
            raise web.HTTPNotFound(text="Không có cuộc trò chuyện này.")
        before = (
            await conn.execute(
                select(messages.c.created_at, messages.c.direction, messages.c.text)
                .where(
                    and_(
                        messages.c.user_ref == row.user_ref,
                        messages.c.created_at <= row.created_at,
                        messages.c.text.is_not(None),
                    )
                )
                .order_by(messages.c.id.desc())
                .limit(HISTORY_BEFORE)
            )
        ).all()
        during = (
            await conn.execute(
                select(
                    handoff_messages.c.created_at,
                    handoff_messages.c.author,
                    handoff_messages.c.volunteer,
                    handoff_messages.c.text,
                )
                .where(handoff_messages.c.handoff_id == handoff_id)
                .order_by(handoff_messages.c.id)
            )
        ).all()
        recipient = (
            await conn.execute(
                select(recipients.c.last_inbound_at).where(recipients.c.user_ref == row.user_ref)
            )
        ).first()
    history = [
        {
            "at": r.created_at,
            "who": "Người dân" if r.direction == "in" else "Trợ lý",
            "text": r.text,
        }
        for r in reversed(before)
    ]
    names = {"citizen": "Người dân", "bot": "Trợ lý"}
    history += [
        {"at": r.created_at, "who": r.volunteer or names.get(r.author, r.author), "text": r.text}
        for r in during
    ]
    return row, history, recipient


@require()
async def detail(request: web.Request, session: Session) -> web.StreamResponse:
    return await _detail(request, session)


async def _detail(
    request: web.Request,
    session: Session,
    message: str | None = None,
    error: str | None = None,
    status: int = 400,
) -> web.StreamResponse:
    handoff_id = int(request.match_info["id"])
    row, history, recipient = await _load(request, handoff_id)
    now = request.app[services_key].clock()
    last_inbound = (
        now if row.channel == "web" else (recipient.last_inbound_at if recipient else None)
    )
    state = window_state(row.channel, aware(last_inbound) if last_inbound else None, now)
    mine = row.status == "claimed" and row.claimed_by == session.username
    return aiohttp_jinja2.render_template(
        "handoff.html",
        request,
        {
            "session": session,
            "item": _item(row, now),
            "history": history,
            "can_reply": row.status == "claimed" and mine and state.human_allowed,
            "window": state.window.value,
            "mine": mine,
            "message": message,
            "error": error,
        },
        status=status if error else 200,
    )


@require()
async def claim(request: web.Request, session: Session) -> web.StreamResponse:
    handoff_id = int(request.match_info["id"])
    if not await request.app[desk_key].claim(handoff_id, session.username):
        return await _detail(
            request, session, error="Cuộc trò chuyện đã có người nhận hoặc đã đóng."
        )
    raise web.HTTPFound(f"/admin/handoffs/{handoff_id}")


@require()
async def reply(request: web.Request, session: Session) -> web.StreamResponse:
    handoff_id = int(request.match_info["id"])
    form = await request.post()
    text = str(form.get("text", "")).strip()
    if not text or len(text) > REPLY_LIMIT:
        return await _detail(request, session, error=f"Tin trả lời cần 1-{REPLY_LIMIT} ký tự.")
    row, _, _ = await _load(request, handoff_id)
    if row.status != "claimed":
        return await _detail(request, session, error="Hãy nhận cuộc trò chuyện trước khi trả lời.")
    if row.claimed_by != session.username:
        return await _detail(
            request, session, error=NOT_YOURS.format(name=row.claimed_by), status=403
        )
    sent = await request.app[desk_key].send(
        handoff_id, text, author="volunteer", volunteer=session.username
    )
    if not sent.ok:
        return await _detail(request, session, error=f"Không gửi được: {sent.reason}.")
    raise web.HTTPFound(f"/admin/handoffs/{handoff_id}")


@require()
async def hand_back(request: web.Request, session: Session) -> web.StreamResponse:
    handoff_id = int(request.match_info["id"])
    desk = request.app[desk_key]
    row, _, _ = await _load(request, handoff_id)
    if row.status == "waiting":
        return await _detail(request, session, error=CLAIM_FIRST, status=403)
    if row.status == "claimed" and row.claimed_by != session.username:
        return await _detail(
            request, session, error=NOT_YOURS.format(name=row.claimed_by), status=403
        )
    if row.status in handoff.OPEN_STATUSES:
        owner = session.username if row.status == "claimed" else None
        # Closed first, and only if still theirs: an admin may have taken it over meanwhile.
        if await desk.close(handoff_id, "volunteer", owner=owner) is not None:
            await desk.send(handoff_id, handoff.HANDED_BACK, author="bot")
    raise web.HTTPFound("/admin/handoffs")


@require("admin")
async def take_over(request: web.Request, session: Session) -> web.StreamResponse:
    """An admin takes a claimed conversation from its volunteer (e.g. who left their shift);
    the audit log keeps that it happened."""
    handoff_id = int(request.match_info["id"])
    if not await request.app[desk_key].take_over(handoff_id, session.username):
        return await _detail(request, session, error="Cuộc trò chuyện không còn mở.")
    raise web.HTTPFound(f"/admin/handoffs/{handoff_id}")


def setup(admin_app: web.Application) -> None:
    """Routes under the admin sub-application's prefix, /admin."""
    admin_app.router.add_get("/handoffs", queue)
    admin_app.router.add_get(r"/handoffs/{id:\d+}", detail)
    admin_app.router.add_post(r"/handoffs/{id:\d+}/claim", claim)
    admin_app.router.add_post(r"/handoffs/{id:\d+}/reply", reply)
    admin_app.router.add_post(r"/handoffs/{id:\d+}/close", hand_back)
    admin_app.router.add_post(r"/handoffs/{id:\d+}/takeover", take_over)


PAGES = FeaturePages(setup, desk_key)
