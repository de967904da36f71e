"""The volunteers' desk in the admin pages: the queue of handed-off conversations (a citizen's
commune first offered to its volunteers), one conversation's history (masked), claim, reply
through the citizen's channel (typed, or one of the admins' canned replies), hand back, and what
the help achieved."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy import and_, select

from bot.admin.auth import Session
from bot.admin.guard import require
from bot.admin.keys import FeaturePages, services_key
from bot.channels.windows import window_state
from bot.core.vntime import aware, local
from bot.db.models import handoff_messages, handoffs, messages, recipients
from bot.features.handoff import canned, outcomes, routing
from bot.features.handoff import canned_admin as canned_pages
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


async def _viewer(conn: Any, session: Session) -> routing.Viewer:
    mine = frozenset((await conn.execute(routing.communes_query(session.username))).scalars())
    served = frozenset((await conn.execute(routing.served_query())).scalars())
    return routing.Viewer(session.role, mine, served)


@require()
async def queue(request: web.Request, session: Session) -> web.StreamResponse:
    now = request.app[services_key].clock()
    wait = request.app[desk_key].local_wait
    async with request.app[services_key].engine.connect() as conn:
        viewer = await _viewer(conn, session)
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
    # What another commune's volunteers may not take yet is not shown to them, only counted.
    visible = [row for row in open_rows if routing.may_take(row, viewer, wait, now)]
    items = [_item(row, now, viewer, wait) for row in visible]
    closed = [_item(row, now, viewer, wait) for row in closed_rows]
    context = {
        "session": session,
        "items": items,
        "closed": closed,
        "elsewhere": len(open_rows) - len(visible),
        "wait_min": int(wait.total_seconds() // 60),
    }
    return aiohttp_jinja2.render_template("handoffs.html", request, context)


def _item(row: Any, now: datetime, viewer: routing.Viewer, wait: timedelta) -> dict[str, Any]:
    until = routing.local_until(row, wait, viewer.served)
    return {
        "id": row.id,
        "who": citizen_label(row.user_ref),
        "channel": row.channel,
        "reason": REASONS.get(row.reason, row.reason),
        "status": row.status,
        "waiting_min": _minutes(row.created_at, now),
        "claimed_by": row.claimed_by,
        "commune": routing.place(row.commune) if row.commune else None,
        # "chờ tình nguyện viên xã … đến HH:MM" while only the commune's volunteers may take it.
        "local_until": f"{local(until):%H:%M}" if until is not None and now < until else None,
        "may_take": routing.may_take(row, viewer, wait, now),
        "rating": outcomes.SCORES.get(row.rating) if row.rating else None,
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
    services = request.app[services_key]
    now = services.clock()
    async with services.engine.connect() as conn:
        viewer = await _viewer(conn, session)
        recorded = await outcomes.of(conn, handoff_id)
    replies = await canned.all_replies(services.engine)
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
            "item": _item(row, now, viewer, request.app[desk_key].local_wait),
            "history": history,
            "can_reply": row.status == "claimed" and mine and state.human_allowed,
            "canned": replies,
            "outcomes": outcomes.OUTCOMES,
            "recorded": recorded,
            "may_record": row.claimed_by is not None
            and (row.claimed_by == session.username or session.role == routing.ADMIN),
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
    claimed = await request.app[desk_key].claim(handoff_id, session.username, session.role)
    if not claimed.ok:
        return await _detail(request, session, error=claimed.reason, status=409)
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
    return await _send(request, session, handoff_id, text)


async def _send(
    request: web.Request, session: Session, handoff_id: int, text: str
) -> web.StreamResponse:
    sent = await request.app[desk_key].send(
        handoff_id, text, author="volunteer", volunteer=session.username
    )
    if not sent.ok:
        return await _detail(request, session, error=f"Không gửi được: {sent.reason}.")
    raise web.HTTPFound(f"/admin/handoffs/{handoff_id}")


@require()
async def send_canned(request: web.Request, session: Session) -> web.StreamResponse:
    """One of the admins' canned replies, its placeholders filled for this citizen."""
    handoff_id = int(request.match_info["id"])
    form = await request.post()
    raw = str(form.get("reply", ""))
    number = canned.reply_id(raw)
    saved = await canned.one(request.app[services_key].engine, number) if number else None
    if saved is None:
        return await _detail(request, session, error="Không có mẫu trả lời này, bạn chọn lại nhé.")
    row, _, _ = await _load(request, handoff_id)
    if row.status != "claimed":
        return await _detail(request, session, error="Hãy nhận cuộc trò chuyện trước khi trả lời.")
    if row.claimed_by != session.username:
        return await _detail(
            request, session, error=NOT_YOURS.format(name=row.claimed_by), status=403
        )
    text = canned.fill(saved.text, row.commune, session.username)
    return await _send(request, session, handoff_id, text)


@require()
async def record_outcomes(request: web.Request, session: Session) -> web.StreamResponse:
    handoff_id = int(request.match_info["id"])
    form = await request.post()
    try:
        chosen = outcomes.checked(str(v) for v in form.getall("outcome", []))
    except ValueError:
        return await _detail(request, session, error="Kết quả không có trong danh sách.")
    await _load(request, handoff_id)  # 404 for a handoff that does not exist
    error = await request.app[desk_key].record_outcomes(
        handoff_id, chosen, session.username, session.role
    )
    if error:
        return await _detail(request, session, error=error, status=403)
    return await _detail(request, session, message="Đã ghi kết quả hỗ trợ.")


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
        closed = await desk.close(handoff_id, "volunteer", owner=owner)
        if closed is not None:
            await desk.send(handoff_id, handoff.HANDED_BACK, author="bot")
            if closed.status == "claimed":
                await desk.ask_rating(handoff_id)
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
    admin_app.router.add_post(r"/handoffs/{id:\d+}/canned", send_canned)
    admin_app.router.add_post(r"/handoffs/{id:\d+}/outcomes", record_outcomes)
    canned_pages.setup(admin_app)


PAGES = FeaturePages(setup, desk_key)
