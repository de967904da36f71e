"""Admin pages of events and training sessions (admin role), on the campaign page that the
writing contest shares (bot/features/contest/admin.py adds its section)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.admin.auth import Session
from bot.admin.guard import require
from bot.admin.keys import FeaturePages
from bot.core import communes
from bot.core.vntime import VIETNAM, local
from bot.features.events.desk import KINDS, EventsDesk

desk_key: web.AppKey[EventsDesk] = web.AppKey("events_desk")
# What other features show on the campaign page: each gives template variables.
Section = Callable[[web.Request], Awaitable[dict[str, Any]]]
sections_key: web.AppKey[list[Section]] = web.AppKey("campaign_sections")


def add_section(admin_app: web.Application, section: Section) -> None:
    admin_app.setdefault(sections_key, []).append(section)


async def campaign_page(
    request: web.Request, session: Session, message: str | None = None, error: str | None = None
) -> web.StreamResponse:
    context = {
        "session": session,
        "events": [
            {**row._asdict(), "when": f"{local(row.starts_at):%H:%M %d/%m/%Y}"}
            for row in await request.app[desk_key].all()
        ],
        "kinds": KINDS,
        "communes": communes.load(),
        "message": message,
        "error": error,
    }
    for section in request.app.get(sections_key, []):
        context.update(await section(request))
    return aiohttp_jinja2.render_template(
        "campaign.html", request, context, status=400 if error else 200
    )


@require("admin")
async def events_page(request: web.Request, session: Session) -> web.StreamResponse:
    return await campaign_page(request, session)


def _problem(title: str, place: str, kind: str, commune: str, link: str) -> str | None:
    if not title or not place or kind not in KINDS or len(title) > 200 or len(place) > 200:
        return "Cần tên, loại và địa điểm."
    if commune and commune not in {c.name for c in communes.load()}:
        return "Xã/phường không có trong danh sách."
    if link and not link.startswith(("https://", "http://")):
        return "Đường link phải bắt đầu bằng https://"
    return None


def _event(form: Any) -> tuple[dict[str, Any] | None, str | None]:
    """The event a form describes, or what is wrong with it."""
    title, place = str(form.get("title", "")).strip(), str(form.get("place", "")).strip()
    kind, commune = str(form.get("kind", "")), str(form.get("commune", ""))
    link = str(form.get("link", "")).strip()
    try:
        starts = datetime.fromisoformat(str(form.get("starts_at", ""))).replace(tzinfo=VIETNAM)
    except ValueError:
        return None, "Thời gian không hợp lệ."
    problem = _problem(title, place, kind, commune, link)
    if problem is not None:
        return None, problem
    return {
        "kind": kind,
        "title": title,
        "starts_at": starts.astimezone(timezone.utc),
        "place": place,
        "commune": commune or None,
        "link": link or None,
        "description": str(form.get("description", "")).strip()[:2000] or None,
    }, None


@require("admin")
async def event_add(request: web.Request, session: Session) -> web.StreamResponse:
    event, error = _event(await request.post())
    if event is None:
        return await campaign_page(request, session, error=error)
    await request.app[desk_key].add(event)
    return await campaign_page(request, session, message="Đã thêm sự kiện.")


@require("admin")
async def event_remove(request: web.Request, session: Session) -> web.StreamResponse:
    await request.app[desk_key].remove(int(request.match_info["id"]))
    return await campaign_page(request, session, message="Đã xóa sự kiện.")


def setup(admin_app: web.Application) -> None:
    """Routes under the admin sub-application's prefix, /admin."""
    admin_app.setdefault(sections_key, [])
    admin_app.router.add_get("/events", events_page)
    admin_app.router.add_post("/events", event_add)
    admin_app.router.add_post(r"/events/{id:\d+}/delete", event_remove)


PAGES = FeaturePages(setup, desk_key)
