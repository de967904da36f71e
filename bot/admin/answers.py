"""/admin/answers (admin role): the assistant's answers edited in the browser. A list with a
search, an edit form (validated, errors next to it), every version with its author and day, the
change each version made, and a rollback to any earlier version (a new version equal to it).
Every save and rollback is a line of the audit log; the next message on every worker gets the
newest version (bot/content/live.py)."""

from __future__ import annotations

import asyncio
import difflib
import re
from dataclasses import replace
from functools import lru_cache

import aiohttp_jinja2
from aiohttp import web

from actions.content import baseline as baseline_content
from bot.admin.auth import Session
from bot.admin.guard import require
from bot.admin.keys import services_key
from bot.content import answer_rules, entries, versions
from bot.content.entries import Entry
from bot.core import communes
from bot.core.vntime import local, local_day
from bot.nlu.text import fold

NOTE_LIMIT = answer_rules.NOTE_LIMIT
_SPLIT_BUTTONS = re.compile(r"[\s,;]+")
# Sentences on lines of their own: a diff shows the sentence that changed, not the paragraph.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


@lru_cache(maxsize=1)
def file_entries() -> dict[str, Entry]:
    """The answers of content/answers.yml, read once (the review queue uses them too)."""
    return entries.baseline()


@lru_cache(maxsize=1)
def known_communes() -> tuple[communes.Commune, ...]:
    return communes.load()


async def _newest(request: web.Request) -> dict[str, versions.Version]:
    edited = await versions.newest(request.app[services_key].engine)
    return {k: edited.get(k) or versions.from_file(e) for k, e in file_entries().items()}


def _matches(entry: Entry, query: str) -> bool:
    # Accent-blind, as citizens and staff type: "vneid muc 2" finds "VNeID mức 2".
    haystack = fold(" ".join((entry.intent, entry.title, *entry.messages, entry.source)))
    return all(word in haystack for word in fold(query).split())


@require("admin")
async def answers_page(request: web.Request, session: Session) -> web.StreamResponse:
    query = request.query.get("q", "").strip()[:100]
    newest = await _newest(request)
    rows = [v for v in newest.values() if not query or _matches(v.entry, query)]
    context = {"session": session, "local": local, "rows": rows, "q": query, "total": len(newest)}
    return aiohttp_jinja2.render_template("answers.html", request, context)


def _intent(request: web.Request) -> Entry:
    found = file_entries().get(request.match_info["intent"])
    if found is None:
        raise web.HTTPNotFound(text="Không có câu trả lời này.")
    return found


async def _form(
    request: web.Request,
    session: Session,
    entry: Entry,
    *,
    after: int,
    note: str = "",
    errors: list[str] | None = None,
    saved: int | None = None,
) -> web.StreamResponse:
    titles = {k: e.title for k, e in file_entries().items()}
    context = {
        "session": session,
        "local": local,
        "entry": entry,
        "after": after,
        "note": note,
        "errors": errors or [],
        "saved": saved,
        "slots": answer_rules.MESSAGE_LIMIT,
        "titles": titles,
        "limits": answer_rules,
        "links": sorted(baseline_content().links),
    }
    return aiohttp_jinja2.render_template(
        "answer_edit.html", request, context, status=400 if errors else 200
    )


@require("admin")
async def edit_page(request: web.Request, session: Session) -> web.StreamResponse:
    base = _intent(request)
    newest = (await versions.newest(request.app[services_key].engine)).get(base.intent)
    current = newest or versions.from_file(base)
    return await _form(request, session, current.entry, after=current.version)


def _posted(base: Entry, form: dict[str, str]) -> Entry:
    messages = [
        form.get(f"message_{i}", "").replace("\r\n", "\n").strip()
        for i in range(1, answer_rules.MESSAGE_LIMIT + 1)
    ]
    return Entry(
        intent=base.intent,
        title=form.get("title", "").strip(),
        messages=tuple(m for m in messages if m),
        buttons=tuple(b for b in _SPLIT_BUTTONS.split(form.get("buttons", "")) if b),
        source=" ".join(form.get("source", "").split()),
        as_of=form.get("as_of", "").strip(),
        review_by=form.get("review_by", "").strip(),
        factual=form.get("factual") == "on",
    )


def _problems(request: web.Request, entry: Entry) -> list[str]:
    return answer_rules.problems(
        entry,
        known=file_entries().keys(),
        links=baseline_content().links,
        today=local_day(request.app[services_key].clock()),  # "not in the future": in Vietnam
        communes=known_communes(),
    )


def _number(value: str | None) -> int | None:
    # A version number as typed in a URL or form: digits, and few of them.
    return (
        int(value) if value and value.isascii() and value.isdigit() and len(value) <= 9 else None
    )


def _after(form: dict[str, str]) -> int | None:
    return _number(form.get("after"))


@require("admin")
async def save_edit(request: web.Request, session: Session) -> web.StreamResponse:
    base = _intent(request)
    form = {k: str(v) for k, v in (await request.post()).items()}
    entry = _posted(base, form)
    note = " ".join(form.get("note", "").split())
    after = _after(form)
    if after is None:
        raise web.HTTPBadRequest(text="Biểu mẫu không hợp lệ, hãy tải lại trang.")
    # The content rules read every sentence: a few milliseconds, off the event loop.
    errors = await asyncio.to_thread(_problems, request, entry)
    if len(note) > NOTE_LIMIT:
        errors.append(f"Ghi chú dài quá {NOTE_LIMIT} ký tự.")
    if not errors:
        try:
            saved = await _save(request, session, entry, note, after, rollback=False)
        except versions.Conflict:
            errors.append(
                "Câu trả lời vừa được người khác sửa sau khi bạn mở trang. Hãy mở lại trang "
                "sửa để xem bản mới nhất, rồi sửa tiếp."
            )
        else:
            return await _form(request, session, entry, after=saved, saved=saved)
    return await _form(request, session, entry, after=after, note=note, errors=errors)


async def _save(
    request: web.Request, session: Session, entry: Entry, note: str, after: int, *, rollback: bool
) -> int:
    services = request.app[services_key]
    return await versions.save(
        services.writer,
        entry,
        author=session.username,
        note=note,
        now=services.clock(),
        after=after,
        rollback=rollback,
    )


@require("admin")
async def history_page(request: web.Request, session: Session) -> web.StreamResponse:
    base = _intent(request)
    found = await versions.history(request.app[services_key].engine, base)
    context = {
        "session": session,
        "local": local,
        "entry": found[0].entry,
        "versions": found,
        "newest": found[0].version,
        "restored": _number(request.query.get("restored")),
        "error": None,
    }
    return aiohttp_jinja2.render_template("answer_history.html", request, context)


def _lines(entry: Entry, titles: dict[str, str]) -> list[str]:
    """A version as lines to compare: each field, each message a sentence a line."""
    lines = [f"Tiêu đề nút: {entry.title}"]
    for i, message in enumerate(entry.messages, start=1):
        lines.append(f"— Tin nhắn {i} —")
        for paragraph in message.split("\n"):
            lines += [s for s in _SENTENCE_END.split(paragraph) if s.strip()]
    buttons = ", ".join(f"{titles.get(b, b)} ({b})" for b in entry.buttons)
    lines.append(f"Nút gợi ý: {buttons or '(không có)'}")
    lines.append(f"Nguồn: {entry.source or '(không có)'}")
    lines.append(f"Tính đến: {entry.as_of or '(không có)'}")
    lines.append(f"Xem lại trước: {entry.review_by or '(không có)'}")
    lines.append(f"Có thông tin cần nguồn: {'có' if entry.factual else 'không'}")
    return lines


def diff_rows(old: Entry, new: Entry, titles: dict[str, str]) -> list[tuple[str, str]]:
    """("same" | "del" | "add", line) rows from `old` to `new`."""
    rows: list[tuple[str, str]] = []
    before, after = _lines(old, titles), _lines(new, titles)
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += [("same", line) for line in before[i1:i2]]
            continue
        rows += [("del", line) for line in before[i1:i2]]
        rows += [("add", line) for line in after[j1:j2]]
    return rows


@require("admin")
async def diff_page(request: web.Request, session: Session) -> web.StreamResponse:
    base = _intent(request)
    found = await versions.history(request.app[services_key].engine, base)
    by_number = {v.version: v for v in found}
    wanted = _number(request.match_info["version"])
    shown = by_number.get(wanted) if wanted is not None else None
    if shown is None or shown.version == 0:
        raise web.HTTPNotFound(text="Không có phiên bản này.")
    previous = next(v for v in found if v.version < shown.version)
    titles = {k: e.title for k, e in file_entries().items()}
    context = {
        "session": session,
        "local": local,
        "entry": shown.entry,
        "shown": shown,
        "previous": previous,
        "rows": diff_rows(previous.entry, shown.entry, titles),
    }
    return aiohttp_jinja2.render_template("answer_diff.html", request, context)


@require("admin")
async def rollback(request: web.Request, session: Session) -> web.StreamResponse:
    base = _intent(request)
    form = {k: str(v) for k, v in (await request.post()).items()}
    wanted, after = _number(form.get("version")), _after(form)
    found = await versions.history(request.app[services_key].engine, base)
    by_number = {v.version: v for v in found}
    old = by_number.get(wanted) if wanted is not None else None
    if old is None or after is None:
        raise web.HTTPBadRequest(text="Không có phiên bản này, hãy tải lại trang.")
    error = None
    if old.version == found[0].version:
        error = "Phiên bản này đang được dùng, không cần khôi phục."
    else:
        note = f"Khôi phục phiên bản {old.version}"
        try:
            # Restored as it was: it passed the checks when it was saved.
            restored = replace(old.entry, intent=base.intent)
            await _save(request, session, restored, note, after, rollback=True)
        except versions.Conflict:
            error = "Câu trả lời vừa có phiên bản mới; hãy xem lại lịch sử rồi chọn lại."
    if error is None:
        raise web.HTTPSeeOther(f"/admin/answers/{base.intent}/history?restored={old.version}")
    context = {
        "session": session,
        "local": local,
        "entry": found[0].entry,
        "versions": found,
        "newest": found[0].version,
        "restored": None,
        "error": error,
    }
    return aiohttp_jinja2.render_template("answer_history.html", request, context, status=409)


def setup(admin_app: web.Application) -> None:
    """Routes under the admin sub-application's prefix, /admin."""
    admin_app.router.add_get("/answers", answers_page)
    admin_app.router.add_get("/answers/{intent}", edit_page)
    admin_app.router.add_post("/answers/{intent}", save_edit)
    admin_app.router.add_get("/answers/{intent}/history", history_page)
    admin_app.router.add_get(r"/answers/{intent}/diff/{version}", diff_page)
    admin_app.router.add_post("/answers/{intent}/rollback", rollback)
