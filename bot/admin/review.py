"""/admin/review (admin role): the review queue. Questions the assistant did not answer well,
grouped by similarity, the biggest group first, with counts per week and a few masked examples.
An admin assigns a group to an existing answer, or writes a new answer for it; either way the
group's questions become reviewed examples for the next training (/admin/models) and leave the
queue, with a line in the audit log."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import aiohttp_jinja2
from aiohttp import web
from yarl import URL

from actions.content import baseline as baseline_content
from bot.admin.answers import file_entries, known_communes
from bot.admin.auth import Session
from bot.admin.guard import require
from bot.admin.keys import services_key
from bot.content import answer_rules, versions
from bot.content.entries import Entry
from bot.content.facts import parse_day
from bot.core.vntime import local_day
from bot.review import queue
from bot.review.grouping import Group

PAGE = "/admin/review"
# Groups on the page at once (each carries the list of answers): the rest come as the first
# ones are dealt with.
SHOWN = 30
NOT_ASSIGNABLE = frozenset({queue.FALLBACK_INTENT})
REASONS = {
    "fallback": "chưa hiểu",
    "low_confidence": "trả lời chưa chắc",
    "clarify": "phải hỏi lại",
    "thumbs_down": "người dân chưa hài lòng",
}
GONE = (
    "Nhóm câu hỏi này không còn trong danh sách (có thể người khác vừa xử lý). "
    "Danh sách dưới đây là bản mới nhất."
)
NOTE = "Tạo từ nhóm câu hỏi cần xem lại"


async def _answers(request: web.Request) -> dict[str, str]:
    """Every answer a group can be assigned to, with its button title (the newest version)."""
    services = request.app[services_key]
    edited = await versions.newest(services.engine)
    titles = {k: e.title for k, e in file_entries().items() if k not in NOT_ASSIGNABLE}
    for intent in await queue.reviewed_intents(services.engine):
        titles[intent] = intent
    for intent, version in edited.items():
        if intent in titles:
            titles[intent] = version.entry.title
    return titles


async def _groups(request: web.Request) -> list[Group]:
    services = request.app[services_key]
    return await queue.groups(
        services.engine, services.clock(), services.settings.review_low_confidence
    )


def _week(label: str) -> str:
    year, week = label.split("-W")
    return f"Tuần {int(week)}/{year}"


def _reasons(found: Group) -> str:
    return " · ".join(f"{REASONS.get(r, r)}: {n}" for r, n in found.reasons())


async def _page(
    request: web.Request,
    session: Session,
    *,
    error: str | None = None,
    errors_for: str | None = None,
    errors: list[str] | None = None,
    posted: dict[str, str] | None = None,
    status: int = 200,
) -> web.StreamResponse:
    found = await _groups(request)
    answers = await _answers(request)
    context = {
        "session": session,
        "groups": found[:SHOWN],
        "total": len(found),
        "messages": sum(g.count for g in found),
        "answers": sorted(answers.items(), key=lambda kv: kv[1].lower()),
        "week": _week,
        "reasons": _reasons,
        "done": _done(request, answers),
        "error": error,
        "errors_for": errors_for,
        "errors": errors or [],
        "posted": posted or {},
        "limits": answer_rules,
        "weeks": queue.WINDOW.days // 7,
        "low": request.app[services_key].settings.review_low_confidence,
    }
    return aiohttp_jinja2.render_template("review.html", request, context, status=status)


def _done(request: web.Request, answers: dict[str, str]) -> str | None:
    """The flash after a decision, from the redirect's query: fixed sentences, a number and an
    answer's title as stored (nothing a link could make the page say)."""
    what, count = request.query.get("done"), request.query.get("n", "")
    count = count if count.isdigit() and len(count) < 7 else "?"
    title = answers.get(request.query.get("intent", ""))
    if title is None:
        return None
    if what == queue.ASSIGN:
        return (
            f"Đã gán {count} câu hỏi vào “{title}”. Các câu hỏi được dùng để huấn luyện "
            "từ lần huấn luyện lại tiếp theo (trang Mô hình)."
        )
    if what == queue.ANSWER:
        return (
            f"Đã tạo câu trả lời “{title}” từ {count} câu hỏi. Trợ lý chỉ nhận ra các câu hỏi "
            "này sau khi huấn luyện lại mô hình (trang Mô hình)."
        )
    return None


@require("admin")
async def review_page(request: web.Request, session: Session) -> web.StreamResponse:
    return await _page(request, session)


async def _posted(request: web.Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.post()).items()}


def _redirect(kind: str, messages: int, intent: str) -> web.HTTPSeeOther:
    url = URL(PAGE).with_query(done=kind, n=str(messages), intent=intent)
    return web.HTTPSeeOther(str(url))


@require("admin")
async def assign(request: web.Request, session: Session) -> web.StreamResponse:
    form = await _posted(request)
    key = request.match_info["key"]
    intent = form.get("intent", "").strip()
    answers = await _answers(request)
    if intent not in answers:
        return await _page(
            request,
            session,
            error="Hãy chọn một câu trả lời có trong danh sách.",
            status=400,
        )
    services = request.app[services_key]
    try:
        found = queue.find(await _groups(request), key)
        decision = await queue.decide(
            services.writer,
            found,
            intent,
            kind=queue.ASSIGN,
            reviewer=session.username,
            now=services.clock(),
        )
    except queue.GroupGone:
        return await _page(request, session, error=GONE, status=404)
    raise _redirect(queue.ASSIGN, decision.messages, intent)


def _entry(intent: str, form: dict[str, str], today: date) -> Entry:
    source = " ".join(form.get("source", "").split())
    as_of = form.get("as_of", "").strip()
    review_by = form.get("review_by", "").strip()
    day = parse_day(as_of)
    if not review_by and day is not None:
        # Checked again a year on, unless the admin says otherwise.
        review_by = (day + timedelta(days=365)).isoformat()
    message = form.get("message", "").replace("\r\n", "\n").strip()
    return Entry(
        intent=intent,
        title=form.get("title", "").strip(),
        messages=(message,) if message else (),
        source=source,
        as_of=as_of,
        review_by=review_by,
        # A sourced or dated answer states facts: it must carry both (the content rules).
        factual=bool(source or as_of),
    )


@require("admin")
async def create_answer(request: web.Request, session: Session) -> web.StreamResponse:
    form = await _posted(request)
    key = request.match_info["key"]
    services = request.app[services_key]
    try:
        found = queue.find(await _groups(request), key)
    except queue.GroupGone:
        return await _page(request, session, error=GONE, status=404)
    answers = await _answers(request)
    intent = queue.new_intent(found, answers.keys() | file_entries().keys())
    today = local_day(services.clock())
    entry = _entry(intent, form, today)
    problems = await asyncio.to_thread(
        answer_rules.problems,
        entry,
        known=file_entries().keys(),
        links=baseline_content().links,
        today=today,
        communes=known_communes(),
    )
    if problems:
        return await _page(
            request, session, errors_for=key, errors=problems, posted=form, status=400
        )
    try:
        await versions.save(
            services.writer,
            entry,
            author=session.username,
            note=NOTE,
            now=services.clock(),
            after=0,
        )
        decision = await queue.decide(
            services.writer,
            found,
            intent,
            kind=queue.ANSWER,
            reviewer=session.username,
            now=services.clock(),
        )
    except (versions.Conflict, queue.GroupGone):
        return await _page(request, session, error=GONE, status=409)
    raise _redirect(queue.ANSWER, decision.messages, intent)


def setup(admin_app: web.Application) -> None:
    """Routes under the admin sub-application's prefix, /admin."""
    admin_app.router.add_get("/review", review_page)
    admin_app.router.add_post("/review/{key}/assign", assign)
    admin_app.router.add_post("/review/{key}/answer", create_answer)
