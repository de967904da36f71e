"""Admin pages of the campaign: events and training sessions, the writing contest (rules,
deadline, submissions and their CSV export), and the volunteers' guidance log."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone

import aiohttp_jinja2
from aiohttp import web

from bot import communes, keys
from bot.admin.auth import Session
from bot.admin.routes import _no_store, require
from bot.events import KINDS
from bot.guidance import TOPICS, GuidanceError, validate
from bot.vntime import VIETNAM, local, local_day


def _today(request: web.Request) -> date:
    return local_day(request.app[keys.clock_key]())


# -- events ---------------------------------------------------------------------------------
async def _events_page(
    request: web.Request, session: Session, message: str | None = None, error: str | None = None
) -> web.StreamResponse:
    context = {
        "session": session,
        "events": [
            {**row._asdict(), "when": f"{local(row.starts_at):%H:%M %d/%m/%Y}"}
            for row in await request.app[keys.events_key].all()
        ],
        "kinds": KINDS,
        "communes": communes.load(),
        "contest": await request.app[keys.contest_key].info(),
        "submissions": await request.app[keys.contest_key].submissions(),
        "message": message,
        "error": error,
    }
    response = aiohttp_jinja2.render_template(
        "campaign.html", request, context, status=400 if error else 200
    )
    return _no_store(response)


@require("admin")
async def events_page(request: web.Request, session: Session) -> web.StreamResponse:
    return await _events_page(request, session)


@require("admin")
async def event_add(request: web.Request, session: Session) -> web.StreamResponse:
    form = await request.post()
    title, place = str(form.get("title", "")).strip(), str(form.get("place", "")).strip()
    kind, commune = str(form.get("kind", "")), str(form.get("commune", ""))
    link = str(form.get("link", "")).strip()
    try:
        starts = datetime.fromisoformat(str(form.get("starts_at", ""))).replace(tzinfo=VIETNAM)
    except ValueError:
        return await _events_page(request, session, error="Thời gian không hợp lệ.")
    if not title or not place or kind not in KINDS or len(title) > 200 or len(place) > 200:
        return await _events_page(request, session, error="Cần tên, loại và địa điểm.")
    if commune and commune not in {c.name for c in communes.load()}:
        return await _events_page(request, session, error="Xã/phường không có trong danh sách.")
    if link and not link.startswith(("https://", "http://")):
        return await _events_page(request, session, error="Đường link phải bắt đầu bằng https://")
    await request.app[keys.events_key].add(
        {
            "kind": kind,
            "title": title,
            "starts_at": starts.astimezone(timezone.utc),
            "place": place,
            "commune": commune or None,
            "link": link or None,
            "description": str(form.get("description", "")).strip()[:2000] or None,
        }
    )
    return await _events_page(request, session, message="Đã thêm sự kiện.")


@require("admin")
async def event_remove(request: web.Request, session: Session) -> web.StreamResponse:
    await request.app[keys.events_key].remove(int(request.match_info["id"]))
    return await _events_page(request, session, message="Đã xóa sự kiện.")


@require("admin")
async def contest_save(request: web.Request, session: Session) -> web.StreamResponse:
    form = await request.post()
    title, rules = str(form.get("title", "")).strip(), str(form.get("rules", "")).strip()
    link = str(form.get("link", "")).strip()
    try:
        deadline = date.fromisoformat(str(form.get("deadline", "")))
    except ValueError:
        return await _events_page(request, session, error="Hạn nộp bài không hợp lệ.")
    if not title or not rules or len(title) > 200 or len(rules) > 3000:
        return await _events_page(request, session, error="Cần tên cuộc thi và thể lệ.")
    await request.app[keys.contest_key].save_info(title, rules, deadline, link or None)
    return await _events_page(request, session, message="Đã lưu thể lệ cuộc thi viết.")


@require("admin")
async def submissions_csv(request: web.Request, session: Session) -> web.StreamResponse:
    rows = await request.app[keys.contest_key].submissions()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Mã bài", "Ngày gửi", "Kênh", "Tên liên hệ", "Xã, phường", "Bài viết"])
    for r in rows:
        writer.writerow(
            [
                r.reference,
                f"{local(r.created_at):%d/%m/%Y %H:%M}",
                r.channel,
                r.contact_name,
                r.commune,
                r.text,
            ]
        )
    response = web.Response(
        body=("\ufeff" + buffer.getvalue()).encode("utf-8"),
        headers={"Content-Type": "text/csv; charset=utf-8"},
    )
    response.headers["Content-Disposition"] = 'attachment; filename="bai-du-thi.csv"'
    return _no_store(response)


# -- guidance log ---------------------------------------------------------------------------
async def _guidance_page(
    request: web.Request, session: Session, message: str | None = None, error: str | None = None
) -> web.StreamResponse:
    volunteer = None if session.role == "admin" else session.username
    context = {
        "session": session,
        "sessions": await request.app[keys.guidance_key].recent(volunteer),
        "topics": TOPICS,
        "communes": communes.load(),
        "today": _today(request).isoformat(),
        "message": message,
        "error": error,
    }
    response = aiohttp_jinja2.render_template(
        "guidance.html", request, context, status=400 if error else 200
    )
    return _no_store(response)


@require()
async def guidance_page(request: web.Request, session: Session) -> web.StreamResponse:
    return await _guidance_page(request, session)


@require()
async def guidance_add(request: web.Request, session: Session) -> web.StreamResponse:
    form = await request.post()
    try:
        fields = validate(
            str(form.get("held_on", "")),
            str(form.get("commune", "")),
            str(form.get("residents", "")),
            [str(t) for t in form.getall("topics", [])],
            _today(request),
        )
    except GuidanceError as exc:
        return await _guidance_page(request, session, error=f"Chưa lưu được: {exc}.")
    notes = str(form.get("notes", "")).strip()
    await request.app[keys.guidance_key].add(session.username, fields, notes)
    return await _guidance_page(request, session, message="Đã ghi buổi hỗ trợ. Cảm ơn bạn!")


def setup(app: web.Application) -> None:
    app.router.add_get("/admin/events", events_page)
    app.router.add_post("/admin/events", event_add)
    app.router.add_post(r"/admin/events/{id:\d+}/delete", event_remove)
    app.router.add_post("/admin/contest", contest_save)
    app.router.add_get("/admin/contest/submissions.csv", submissions_csv)
    app.router.add_get("/admin/guidance", guidance_page)
    app.router.add_post("/admin/guidance", guidance_add)
