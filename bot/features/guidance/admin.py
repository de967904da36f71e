"""The volunteers' guidance log in the admin pages: volunteers record the in-person help
sessions they held; a volunteer sees their own, an admin everybody's."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from bot.admin.auth import Session
from bot.admin.guard import require
from bot.admin.keys import FeaturePages, services_key
from bot.core import communes
from bot.core.vntime import local_day
from bot.features.guidance.desk import TOPICS, GuidanceError, GuidanceLog, validate

desk_key: web.AppKey[GuidanceLog] = web.AppKey("guidance_desk")


async def _page(
    request: web.Request, session: Session, message: str | None = None, error: str | None = None
) -> web.StreamResponse:
    volunteer = None if session.role == "admin" else session.username
    context = {
        "session": session,
        "sessions": await request.app[desk_key].recent(volunteer),
        "topics": TOPICS,
        "communes": communes.load(),
        "today": local_day(request.app[services_key].clock()).isoformat(),
        "message": message,
        "error": error,
    }
    return aiohttp_jinja2.render_template(
        "guidance.html", request, context, status=400 if error else 200
    )


@require()
async def guidance_page(request: web.Request, session: Session) -> web.StreamResponse:
    return await _page(request, session)


@require()
async def guidance_add(request: web.Request, session: Session) -> web.StreamResponse:
    form = await request.post()
    try:
        fields = validate(
            str(form.get("held_on", "")),
            str(form.get("commune", "")),
            str(form.get("residents", "")),
            [str(t) for t in form.getall("topics", [])],
            local_day(request.app[services_key].clock()),
        )
    except GuidanceError as exc:
        return await _page(request, session, error=f"Chưa lưu được: {exc}.")
    notes = str(form.get("notes", "")).strip()
    await request.app[desk_key].add(session.username, fields, notes)
    return await _page(request, session, message="Đã ghi buổi hỗ trợ. Cảm ơn bạn!")


def setup(admin_app: web.Application) -> None:
    """Routes under the admin sub-application's prefix, /admin."""
    admin_app.router.add_get("/guidance", guidance_page)
    admin_app.router.add_post("/guidance", guidance_add)


PAGES = FeaturePages(setup, desk_key)
