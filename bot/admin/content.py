"""/admin/content (admin role): the facts of content/answers.yml and content/quiz.yml past their
review day or due within 30 days, read from the files on each visit so an edit shows at once,
an answer edited in the browser (/admin/answers) as its newest version says."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp_jinja2
from aiohttp import web

from bot.admin.auth import Session
from bot.admin.guard import require
from bot.admin.keys import services_key
from bot.content import entries, facts, review, versions
from bot.core.vntime import local_day

# The folder the page reads; tests plant their own.
content_dir_key: web.AppKey[Path] = web.AppKey("content_dir")
FILE_LABELS = {facts.ANSWERS: "Câu trả lời", facts.QUIZ: "Câu hỏi thi"}


@require("admin")
async def content_page(request: web.Request, session: Session) -> web.StreamResponse:
    today = local_day(request.app[services_key].clock())  # review days are days in Vietnam
    # Parsing the YAML takes a few milliseconds: off the event loop.
    loaded = await asyncio.to_thread(facts.load_facts, request.app[content_dir_key])
    # An answer edited in the browser is reviewed as its newest version says.
    edited = await versions.newest(request.app[services_key].engine)
    loaded = [
        entries.as_fact(edited[f.key].entry) if f.file == facts.ANSWERS and f.key in edited else f
        for f in loaded
    ]
    context = {
        "session": session,
        "today": today,
        "soon_days": review.SOON.days,
        "due": review.due(loaded, today),
        "undated": review.undated(loaded),
        "labels": FILE_LABELS,
    }
    return aiohttp_jinja2.render_template("content.html", request, context)


def setup(admin_app: web.Application, directory: Path | None = None) -> None:
    """The route, relative to /admin; `directory` defaults to the project's content folder."""
    admin_app[content_dir_key] = directory or facts.CONTENT_DIR
    admin_app.router.add_get("/content", content_page)
