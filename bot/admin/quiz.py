"""Quiz administration (admin role): the question bank (edit, add, switch off), contest periods
and the leaderboard by person (nickname) and by commune."""

from __future__ import annotations

from datetime import date

import aiohttp_jinja2
from aiohttp import web

from bot import keys
from bot.admin.auth import Session
from bot.admin.routes import _no_store, require
from bot.quiz import bank


async def _page(
    request: web.Request, session: Session, message: str | None = None, error: str | None = None
) -> web.StreamResponse:
    engine = request.app[keys.db_key]
    context = {
        "session": session,
        "questions": await bank.all_questions(engine),
        "contests": await bank.contests(engine),
        "board": await request.app[keys.quiz_key].leaderboard(limit=20),
        "topics": bank.TOPICS,
        "message": message,
        "error": error,
    }
    response = aiohttp_jinja2.render_template(
        "quiz.html", request, context, status=400 if error else 200
    )
    return _no_store(response)


@require("admin")
async def quiz_page(request: web.Request, session: Session) -> web.StreamResponse:
    return await _page(request, session)


@require("admin")
async def contest_create(request: web.Request, session: Session) -> web.StreamResponse:
    form = await request.post()
    try:
        starts = date.fromisoformat(str(form.get("starts_on", "")))
        ends = date.fromisoformat(str(form.get("ends_on", "")))
        await bank.add_contest(
            request.app[keys.writer_key],
            str(form.get("name", "")),
            starts,
            ends,
            request.app[keys.clock_key](),
        )
    except (ValueError, bank.BankError) as exc:
        return await _page(request, session, error=f"Không tạo được cuộc thi: {exc}.")
    return await _page(request, session, message="Đã tạo cuộc thi.")


@require("admin")
async def question_edit(request: web.Request, session: Session) -> web.StreamResponse:
    qid = request.match_info["id"]
    found = (await bank.get(request.app[keys.db_key], [qid])).get(qid)
    if found is None:
        raise web.HTTPNotFound(text="Không có câu hỏi này.")
    response = aiohttp_jinja2.render_template(
        "quiz_edit.html",
        request,
        {"session": session, "q": found, "topics": bank.TOPICS, "error": None},
    )
    return _no_store(response)


@require("admin")
async def question_save(request: web.Request, session: Session) -> web.StreamResponse:
    form = await request.post()
    fields = {
        "id": str(form.get("id", "")),
        "topic": str(form.get("topic", "")),
        "question": str(form.get("question", "")),
        "options": [str(form.get(f"option_{letter}", "")) for letter in bank.LETTERS],
        "answer": str(form.get("answer", "")),
        "why": str(form.get("why", "")),
        "source": str(form.get("source", "")),
    }
    try:
        question = bank.validate(fields)
    except bank.BankError as exc:
        return await _page(request, session, error=f"Chưa lưu được: {exc}.")
    active = form.get("active") == "on"
    question = bank.Question(**{**question.__dict__, "active": active})
    await bank.save(request.app[keys.writer_key], question, request.app[keys.clock_key]())
    return await _page(request, session, message=f"Đã lưu câu hỏi {question.id}.")


def setup(app: web.Application) -> None:
    app.router.add_get("/admin/quiz", quiz_page)
    app.router.add_post("/admin/quiz/contests", contest_create)
    app.router.add_get(r"/admin/quiz/questions/{id}", question_edit)
    app.router.add_post("/admin/quiz/questions", question_save)
