"""Quiz administration (admin role): the question bank (edit, add, switch off), contest periods
and the leaderboard by person (nickname) and by commune."""

from __future__ import annotations

from datetime import date

import aiohttp_jinja2
from aiohttp import web

from bot.admin.auth import Session
from bot.admin.guard import require
from bot.admin.keys import FeaturePages, services_key
from bot.features.quiz import bank
from bot.features.quiz.play import QuizDesk

desk_key: web.AppKey[QuizDesk] = web.AppKey("quiz_desk")


async def _page(
    request: web.Request, session: Session, message: str | None = None, error: str | None = None
) -> web.StreamResponse:
    engine = request.app[services_key].engine
    context = {
        "session": session,
        "questions": await bank.all_questions(engine),
        "contests": await bank.contests(engine),
        "board": await request.app[desk_key].leaderboard(limit=20),
        "topics": bank.TOPICS,
        "message": message,
        "error": error,
    }
    return aiohttp_jinja2.render_template(
        "quiz.html", request, context, status=400 if error else 200
    )


@require("admin")
async def quiz_page(request: web.Request, session: Session) -> web.StreamResponse:
    return await _page(request, session)


@require("admin")
async def contest_create(request: web.Request, session: Session) -> web.StreamResponse:
    form = await request.post()
    services = request.app[services_key]
    try:
        starts = date.fromisoformat(str(form.get("starts_on", "")))
        ends = date.fromisoformat(str(form.get("ends_on", "")))
        await bank.add_contest(
            services.writer, str(form.get("name", "")), starts, ends, services.clock()
        )
    except (ValueError, bank.BankError) as exc:
        return await _page(request, session, error=f"Không tạo được cuộc thi: {exc}.")
    return await _page(request, session, message="Đã tạo cuộc thi.")


@require("admin")
async def question_edit(request: web.Request, session: Session) -> web.StreamResponse:
    qid = request.match_info["id"]
    found = (await bank.get(request.app[services_key].engine, [qid])).get(qid)
    if found is None:
        raise web.HTTPNotFound(text="Không có câu hỏi này.")
    return aiohttp_jinja2.render_template(
        "quiz_edit.html",
        request,
        {"session": session, "q": found, "topics": bank.TOPICS, "error": None},
    )


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
    services = request.app[services_key]
    await bank.save(services.writer, question, services.clock())
    return await _page(request, session, message=f"Đã lưu câu hỏi {question.id}.")


def setup(admin_app: web.Application) -> None:
    """Routes under the admin sub-application's prefix, /admin."""
    admin_app.router.add_get("/quiz", quiz_page)
    admin_app.router.add_post("/quiz/contests", contest_create)
    admin_app.router.add_get(r"/quiz/questions/{id}", question_edit)
    admin_app.router.add_post("/quiz/questions", question_save)


PAGES = FeaturePages(setup, desk_key)
