"""The question bank follows corrections to content/quiz.yml without losing admins' edits."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

from aiohttp.test_utils import TestClient
from sqlalchemy import delete, update

from bot.db.models import quiz_questions
from bot.features.quiz import bank
from bot.web import keys


async def test_a_corrected_file_reaches_unedited_questions_and_spares_edited_ones(
    client: TestClient,
) -> None:
    services = client.app[keys.services_key]
    writer, engine = services.writer, services.engine
    file = {q.id: q for q in bank.load_file(bank.BANK_FILE)}
    stale, edited, missing = sorted(file)[:3]

    def age(conn: object) -> None:
        # What an older file seeded: a stale explanation, and a question it did not have.
        conn.execute(  # type: ignore[attr-defined]
            update(quiz_questions)
            .where(quiz_questions.c.id == stale)
            .values(why="Nha Trang có 3 phường.")
        )
        conn.execute(delete(quiz_questions).where(quiz_questions.c.id == missing))  # type: ignore[attr-defined]

    await writer.write(age)
    later = datetime.now(timezone.utc) + timedelta(minutes=5)
    admins = dataclasses.replace(file[edited], why="Giải thích do quản trị viên sửa.")
    await bank.save(writer, admins, later)

    written = await bank.seed(writer, later + timedelta(minutes=1))

    now_in_bank = await bank.get(engine, [stale, edited, missing])
    assert written == 2
    assert now_in_bank[stale].why == file[stale].why
    assert now_in_bank[missing] == file[missing]
    assert now_in_bank[edited].why == "Giải thích do quản trị viên sửa."
    assert await bank.seed(writer, later + timedelta(minutes=2)) == 0
