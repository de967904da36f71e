"""Admin pages of the writing contest (admin role): its rules and deadline, the entries and
their CSV export, shown as a section of the campaign page (bot/features/events/admin.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web

from bot.admin.auth import Session
from bot.admin.exports import CSV_CONTENT_TYPE, csv_bytes
from bot.admin.guard import require
from bot.admin.keys import FeaturePages
from bot.core.vntime import local
from bot.features.contest.desk import ContestDesk
from bot.features.events.admin import add_section, campaign_page

desk_key: web.AppKey[ContestDesk] = web.AppKey("contest_desk")
CSV_HEADER = ["Mã bài", "Ngày gửi", "Kênh", "Tên liên hệ", "Xã, phường", "Bài viết"]


async def section(request: web.Request) -> dict[str, Any]:
    desk = request.app[desk_key]
    return {"contest": await desk.info(), "submissions": await desk.submissions()}


@require("admin")
async def contest_save(request: web.Request, session: Session) -> web.StreamResponse:
    form = await request.post()
    title, rules = str(form.get("title", "")).strip(), str(form.get("rules", "")).strip()
    link = str(form.get("link", "")).strip()
    try:
        deadline = date.fromisoformat(str(form.get("deadline", "")))
    except ValueError:
        return await campaign_page(request, session, error="Hạn nộp bài không hợp lệ.")
    if not title or not rules or len(title) > 200 or len(rules) > 3000:
        return await campaign_page(request, session, error="Cần tên cuộc thi và thể lệ.")
    await request.app[desk_key].save_info(title, rules, deadline, link or None)
    return await campaign_page(request, session, message="Đã lưu thể lệ cuộc thi viết.")


@require("admin")
async def submissions_csv(request: web.Request, session: Session) -> web.StreamResponse:
    rows: list[list[Any]] = [CSV_HEADER]
    for r in await request.app[desk_key].submissions():
        created = f"{local(r.created_at):%d/%m/%Y %H:%M}"
        rows.append([r.reference, created, r.channel, r.contact_name, r.commune, r.text])
    # Entries are citizens' text: written so that no cell can become a formula.
    response = web.Response(body=csv_bytes(rows), headers={"Content-Type": CSV_CONTENT_TYPE})
    response.headers["Content-Disposition"] = 'attachment; filename="bai-du-thi.csv"'
    return response


def setup(admin_app: web.Application) -> None:
    """Routes under the admin sub-application's prefix, /admin."""
    add_section(admin_app, section)
    admin_app.router.add_post("/contest", contest_save)
    admin_app.router.add_get("/contest/submissions.csv", submissions_csv)


PAGES = FeaturePages(setup, desk_key)
