"""Newsletter administration (admin role): write an issue, preview it with the number of
subscribers it would reach now, send it now or at a set time, and see each issue's delivery."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.admin.auth import Session
from bot.admin.guard import require
from bot.admin.keys import FeaturePages, services_key
from bot.core.vntime import VIETNAM, local
from bot.features.newsletter.desk import Issue, NewsletterDesk

desk_key: web.AppKey[NewsletterDesk] = web.AppKey("newsletter_desk")


def _fields(form: Any) -> tuple[dict[str, str], str | None]:
    fields = {
        "title": str(form.get("title", "")).strip(),
        "body": str(form.get("body", "")).strip(),
        "link": str(form.get("link", "")).strip(),
        "send_at": str(form.get("send_at", "")).strip(),
    }
    if not 1 <= len(fields["title"]) <= 120:
        return fields, "tiêu đề cần 1-120 ký tự"
    if not 1 <= len(fields["body"]) <= 1500:
        return fields, "nội dung cần 1-1500 ký tự (vừa một màn hình điện thoại)"
    if fields["link"] and not fields["link"].startswith(("https://", "http://")):
        return fields, "đường link phải bắt đầu bằng https://"
    return fields, None


async def _page(
    request: web.Request,
    session: Session,
    *,
    fields: dict[str, str] | None = None,
    preview: dict[str, Any] | None = None,
    message: str | None = None,
    error: str | None = None,
) -> web.StreamResponse:
    desk = request.app[desk_key]
    context = {
        "session": session,
        "issues": await desk.issues(),
        "subscribers": await desk.subscribers(),
        "fields": fields or {},
        "preview": preview,
        "message": message,
        "error": error,
    }
    return aiohttp_jinja2.render_template(
        "newsletter.html", request, context, status=400 if error else 200
    )


@require("admin")
async def newsletter_page(request: web.Request, session: Session) -> web.StreamResponse:
    return await _page(request, session)


@require("admin")
async def newsletter_preview(request: web.Request, session: Session) -> web.StreamResponse:
    fields, error = _fields(await request.post())
    if error:
        return await _page(request, session, fields=fields, error=f"Chưa xem trước được: {error}.")
    inside, outside = await request.app[desk_key].audience()
    issue = Issue(0, fields["title"], fields["body"], fields["link"] or None)
    preview = {"text": issue.reply().text, "inside": len(inside), "outside": len(outside)}
    return await _page(request, session, fields=fields, preview=preview)


@require("admin")
async def newsletter_send(request: web.Request, session: Session) -> web.StreamResponse:
    fields, error = _fields(await request.post())
    if error:
        return await _page(request, session, fields=fields, error=f"Chưa gửi được: {error}.")
    desk = request.app[desk_key]
    now = request.app[services_key].clock()
    send_at = now
    if fields["send_at"]:
        try:
            chosen = datetime.fromisoformat(fields["send_at"]).replace(tzinfo=VIETNAM)
        except ValueError:
            return await _page(
                request, session, fields=fields, error="Thời gian hẹn không hợp lệ."
            )
        send_at = max(chosen.astimezone(timezone.utc), now)
    issue_id = await desk.create(
        fields["title"], fields["body"], fields["link"], session.username, send_at
    )
    if send_at <= now:
        await desk.send_due()
        message = f"Đã gửi bản tin #{issue_id}."
    else:
        message = f"Đã hẹn gửi bản tin #{issue_id} lúc {local(send_at):%H:%M %d/%m/%Y}."
    return await _page(request, session, message=message)


def setup(admin_app: web.Application) -> None:
    """Routes under the admin sub-application's prefix, /admin."""
    admin_app.router.add_get("/newsletter", newsletter_page)
    admin_app.router.add_post("/newsletter/preview", newsletter_preview)
    admin_app.router.add_post("/newsletter", newsletter_send)


PAGES = FeaturePages(setup, desk_key)
