"""Newsletter and alert administration (admin role): write an issue or an alert, choose who it is
for (communes and/or topics asked about lately, or everyone), preview it with how many it would
reach now and how many are outside the platforms' windows, send it now or at a set time, and see
each broadcast's delivery (sent, delivered, read, failed)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.admin.auth import Session
from bot.admin.guard import require
from bot.admin.keys import FeaturePages, services_key
from bot.core.vntime import VIETNAM, local
from bot.features.newsletter import segment as segments
from bot.features.newsletter.desk import (
    ALERT_KIND,
    KINDS,
    MESSAGE_LIMIT,
    OUTBOX_KIND,
    Issue,
    NewsletterDesk,
)
from bot.features.newsletter.segment import Segment

desk_key: web.AppKey[NewsletterDesk] = web.AppKey("newsletter_desk")
TEXT_FIELDS = ("kind", "title", "body", "link", "send_at", "days")
# Who each kind is for, as the page says it.
AUDIENCE = {OUTBOX_KIND: "người đăng ký nhận bản tin", ALERT_KIND: "người đã đồng ý lưu dữ liệu"}


class Draft:
    """What the form holds: its text fields, the chosen communes and topics, the segment."""

    def __init__(self, form: Any) -> None:
        self.fields = {key: str(form.get(key, "")).strip() for key in TEXT_FIELDS}
        self.fields["kind"] = self.fields["kind"] or OUTBOX_KIND
        self.segment, self._segment_error = segments.parse(form)
        self.issue = Issue(
            0, self.fields["title"], self.fields["body"], self.fields["link"] or None, self.kind
        )

    @property
    def kind(self) -> str:
        return self.fields["kind"]

    def problem(self) -> str | None:
        f = self.fields
        if self.kind not in KINDS:
            return "hãy chọn loại tin: bản tin hoặc cảnh báo"
        if not 1 <= len(f["title"]) <= 120:
            return "tiêu đề cần 1-120 ký tự"
        if not f["body"]:
            return "nội dung không được để trống"
        if f["link"] and not f["link"].startswith(("https://", "http://")):
            return "đường link phải bắt đầu bằng https://"
        length = len(self.issue.reply().text)
        if length > MESSAGE_LIMIT:
            return (
                f"tin nhắn dài {length} ký tự, quá giới hạn {MESSAGE_LIMIT} ký tự một tin của "
                f"Zalo và Messenger; hãy rút gọn nội dung"
            )
        return self._segment_error

    def context(self) -> dict[str, Any]:
        return {
            **self.fields,
            "communes": list(self.segment.communes),
            "topics": list(self.segment.topics),
        }


async def _page(
    request: web.Request,
    session: Session,
    *,
    draft: Draft | None = None,
    preview: dict[str, Any] | None = None,
    message: str | None = None,
    error: str | None = None,
) -> web.StreamResponse:
    desk = request.app[desk_key]
    context = {
        "session": session,
        "issues": await desk.issues(),
        "subscribers": await desk.subscribers(),
        "fields": draft.context() if draft else {"kind": OUTBOX_KIND},
        "kinds": KINDS,
        "commune_choices": segments.commune_choices(),
        "topic_choices": segments.topic_choices(),
        "default_days": segments.DEFAULT_DAYS,
        "preview": preview,
        "message": message,
        "error": error,
    }
    return aiohttp_jinja2.render_template(
        "newsletter.html", request, context, status=400 if error else 200
    )


def _nobody(kind: str, segment: Segment) -> str:
    return (
        f"không có {AUDIENCE[kind]} nào trong nhóm nhận đã chọn ({segment.describe()}); "
        "hãy chọn thêm xã, phường hoặc chủ đề"
    )


@require("admin")
async def newsletter_page(request: web.Request, session: Session) -> web.StreamResponse:
    done = request.query.get("done", "")
    message = await _done_message(request, int(done)) if done.isdigit() else None
    return await _page(request, session, message=message)


async def _done_message(request: web.Request, issue_id: int) -> str | None:
    """What the send did, shown on the page the browser is sent back to after it."""
    issue = next((i for i in await request.app[desk_key].issues() if i["id"] == issue_id), None)
    if issue is None:
        return None
    what = KINDS.get(issue.get("kind") or OUTBOX_KIND, KINDS[OUTBOX_KIND]).lower()
    send_at = issue.get("send_at")
    if issue.get("status") == "scheduled" and send_at is not None:
        return f"Đã hẹn gửi {what} #{issue_id} lúc {local(send_at):%H:%M %d/%m/%Y}."
    return (
        f"Đã gửi {what} #{issue_id}: {issue['queued']} người nhận, "
        f"{issue['skipped']} người ngoài thời gian cho phép."
    )


@require("admin")
async def newsletter_preview(request: web.Request, session: Session) -> web.StreamResponse:
    draft = Draft(await request.post())
    error = draft.problem()
    if error is None:
        inside, outside = await request.app[desk_key].audience(draft.kind, draft.segment)
        if not inside and not outside:
            error = _nobody(draft.kind, draft.segment)
    if error:
        return await _page(request, session, draft=draft, error=f"Chưa xem trước được: {error}.")
    preview = {
        "text": draft.issue.reply().text,
        "segment": draft.segment.describe(),
        "audience": AUDIENCE[draft.kind],
        "targeted": len(inside) + len(outside),
        "inside": len(inside),
        "outside": len(outside),
    }
    return await _page(request, session, draft=draft, preview=preview)


@require("admin")
async def newsletter_send(request: web.Request, session: Session) -> web.StreamResponse:
    draft = Draft(await request.post())
    desk = request.app[desk_key]

    async def refuse(reason: str) -> web.StreamResponse:
        return await _page(request, session, draft=draft, error=f"Chưa gửi được: {reason}.")

    error = draft.problem()
    if error:
        return await refuse(error)
    now = request.app[services_key].clock()
    send_at = now
    if draft.fields["send_at"]:
        try:
            chosen = datetime.fromisoformat(draft.fields["send_at"]).replace(tzinfo=VIETNAM)
        except ValueError:
            return await refuse("thời gian hẹn không hợp lệ")
        send_at = max(chosen.astimezone(timezone.utc), now)
    inside, outside = await desk.audience(draft.kind, draft.segment)
    if not inside and not outside:
        return await refuse(_nobody(draft.kind, draft.segment))
    if send_at <= now and not inside:
        return await refuse(
            f"cả {len(outside)} người trong nhóm đều ngoài thời gian nền tảng cho phép gửi "
            "(Facebook 24 giờ, Zalo 48 giờ từ lúc họ nhắn); hãy hẹn giờ gửi sau"
        )
    f = draft.fields
    issue_id = await desk.create(
        f["title"],
        f["body"],
        f["link"],
        session.username,
        send_at,
        kind=draft.kind,
        segment=draft.segment,
    )
    if send_at <= now:
        await desk.send_due()
    # Back to the page by GET: reloading it must not send the broadcast again.
    raise web.HTTPSeeOther(f"/admin/newsletter?done={issue_id}")


def setup(admin_app: web.Application) -> None:
    """Routes under the admin sub-application's prefix, /admin."""
    admin_app.router.add_get("/newsletter", newsletter_page)
    admin_app.router.add_post("/newsletter/preview", newsletter_preview)
    admin_app.router.add_post("/newsletter", newsletter_send)


PAGES = FeaturePages(setup, desk_key)
