"""Admins manage the volunteers' canned replies: add, change, delete; a text with an unknown
placeholder is refused with what to write instead."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from bot.admin.auth import Session
from bot.admin.guard import require
from bot.admin.keys import services_key
from bot.features.handoff import canned


async def _page(
    request: web.Request,
    session: Session,
    message: str | None = None,
    error: str | None = None,
    draft: dict[str, str] | None = None,
) -> web.StreamResponse:
    replies = await canned.all_replies(request.app[services_key].engine)
    context = {
        "session": session,
        "replies": replies,
        "placeholders": canned.PLACEHOLDERS,
        "message": message,
        "error": error,
        "draft": draft or {},
    }
    return aiohttp_jinja2.render_template(
        "handoff_replies.html", request, context, status=400 if error else 200
    )


@require("admin")
async def replies_page(request: web.Request, session: Session) -> web.StreamResponse:
    return await _page(request, session)


async def _save(
    request: web.Request, session: Session, reply_id: int | None
) -> web.StreamResponse:
    form = await request.post()
    title, text = str(form.get("title", "")), str(form.get("text", ""))
    services = request.app[services_key]
    try:
        found = await canned.save(
            services.writer, services.clock, reply_id, title, text, session.username
        )
    except canned.CannedError as exc:
        draft = {"id": str(reply_id or ""), "title": title, "text": text}
        return await _page(request, session, error=f"Chưa lưu được: {exc}.", draft=draft)
    if not found:
        return await _page(request, session, error="Mẫu trả lời này đã bị xóa.")
    return await _page(request, session, message="Đã lưu mẫu trả lời.")


@require("admin")
async def add(request: web.Request, session: Session) -> web.StreamResponse:
    return await _save(request, session, None)


@require("admin")
async def edit(request: web.Request, session: Session) -> web.StreamResponse:
    reply_id = canned.reply_id(request.match_info["rid"])
    if reply_id is None:
        return await _page(request, session, error="Không có mẫu trả lời này.")
    return await _save(request, session, reply_id)


@require("admin")
async def remove(request: web.Request, session: Session) -> web.StreamResponse:
    reply_id = canned.reply_id(request.match_info["rid"])
    if reply_id is None or not await canned.remove(request.app[services_key].writer, reply_id):
        return await _page(request, session, error="Mẫu trả lời này đã bị xóa.")
    return await _page(request, session, message="Đã xóa mẫu trả lời.")


def setup(admin_app: web.Application) -> None:
    admin_app.router.add_get("/handoffs/replies", replies_page)
    admin_app.router.add_post("/handoffs/replies", add)
    admin_app.router.add_post(r"/handoffs/replies/{rid:\d+}", edit)
    admin_app.router.add_post(r"/handoffs/replies/{rid:\d+}/delete", remove)
