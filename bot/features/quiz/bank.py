"""The question bank: content/quiz.yml seeds the `quiz_questions` table on first start; admins
edit it from then on (bot/features/quiz/admin.py). Questions are read from the table, so an edit
is live for the next attempt without retraining or restarting."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.models import quiz_contests, quiz_questions
from bot.db.writer import BatchWriter
from bot.settings import PROJECT_ROOT

BANK_FILE = PROJECT_ROOT / "content" / "quiz.yml"
LETTERS = "ABCD"
TOPICS = {
    "dx": "Chuyển đổi số",
    "security": "An toàn thông tin",
    "vneid": "VNeID",
    "public_services": "Dịch vụ công",
}


@dataclass(frozen=True)
class Question:
    id: str
    topic: str
    question: str
    options: tuple[str, str, str, str]
    answer: str
    why: str
    source: str
    active: bool = True

    @property
    def correct_text(self) -> str:
        return self.options[LETTERS.index(self.answer)]


class BankError(ValueError):
    pass


def validate(fields: dict[str, Any]) -> Question:
    """A question from form or file fields, or BankError saying what is wrong."""
    given = tuple(str(o).strip() for o in fields.get("options", ()))
    answer = str(fields.get("answer", "")).strip().upper()
    question = str(fields.get("question") or fields.get("q") or "").strip()
    qid = str(fields.get("id", "")).strip()
    _check_wording(qid, question)
    options = _choices(given, answer)
    why, source = str(fields.get("why", "")).strip(), str(fields.get("source", "")).strip()
    if not why or not source:
        raise BankError("cần lời giải thích và nguồn")
    topic = str(fields.get("topic", "dx"))
    if topic not in TOPICS:
        raise BankError("chủ đề không hợp lệ")
    return Question(qid, topic, question, options, answer, why, source[:300])


def _check_wording(qid: str, question: str) -> None:
    if not qid or len(qid) > 32 or not qid.replace("_", "").replace("-", "").isalnum():
        raise BankError("mã câu hỏi gồm chữ, số, - hoặc _, tối đa 32 ký tự")
    if not question or len(question) > 500:
        raise BankError("câu hỏi cần 1-500 ký tự")


def _choices(options: tuple[str, ...], answer: str) -> tuple[str, str, str, str]:
    """The four options, once they and the answer's letter are valid."""
    if len(options) != 4 or not all(options) or any(len(o) > 200 for o in options):
        raise BankError("cần đủ 4 phương án, mỗi phương án 1-200 ký tự")
    if answer not in LETTERS or len(answer) != 1:
        raise BankError("đáp án phải là A, B, C hoặc D")
    return options


def load_file(path: Path = BANK_FILE) -> list[Question]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [validate(entry) for entry in raw["questions"]]


def _row(question: Question, now: datetime) -> dict[str, Any]:
    return {
        "id": question.id,
        "topic": question.topic,
        "question": question.question,
        "options": json.dumps(list(question.options), ensure_ascii=False),
        "answer": question.answer,
        "why": question.why,
        "source": question.source,
        "active": question.active,
        "updated_at": now,
    }


def from_row(row: Any) -> Question:
    return Question(
        row.id,
        row.topic,
        row.question,
        tuple(json.loads(row.options)),
        row.answer,
        row.why,
        row.source,
        bool(row.active),
    )


async def seed(writer: BatchWriter, now: datetime, path: Path = BANK_FILE) -> int:
    """Fill an empty bank from the file. Later, the file's corrections and new questions reach
    the questions no admin has edited (they still carry the first fill's time); an edited
    question is never overwritten. Returns how many rows were written."""
    questions = load_file(path)

    def work(conn: Connection) -> int:
        rows = {row.id: row for row in conn.execute(select(quiz_questions))}
        if not rows:
            conn.execute(quiz_questions.insert(), [_row(q, now) for q in questions])
            return len(questions)
        return _refresh(conn, rows, questions)

    try:
        return await writer.write(work)
    except IntegrityError:  # another worker seeded it at the same moment
        return 0


def _refresh(conn: Connection, rows: dict[str, Any], questions: list[Question]) -> int:
    seeded_at = min(row.updated_at for row in rows.values())
    written = 0
    for question in questions:
        row = rows.get(question.id)
        values = _row(question, seeded_at)
        if row is None:
            conn.execute(quiz_questions.insert(), values)
        elif row.updated_at == seeded_at and _differs(row, values):
            values.pop("id")
            conn.execute(
                update(quiz_questions).where(quiz_questions.c.id == question.id).values(**values)
            )
        else:
            continue
        written += 1
    return written


def _differs(row: Any, values: dict[str, Any]) -> bool:
    return any(getattr(row, key) != value for key, value in values.items() if key != "updated_at")


async def active_questions(engine: AsyncEngine) -> list[Question]:
    async with engine.connect() as conn:
        rows = (
            await conn.execute(select(quiz_questions).where(quiz_questions.c.active.is_(True)))
        ).all()
    return [from_row(r) for r in rows]


async def all_questions(engine: AsyncEngine) -> list[Question]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(quiz_questions).order_by(quiz_questions.c.id))).all()
    return [from_row(r) for r in rows]


async def get(engine: AsyncEngine, ids: list[str]) -> dict[str, Question]:
    async with engine.connect() as conn:
        rows = (
            await conn.execute(select(quiz_questions).where(quiz_questions.c.id.in_(ids)))
        ).all()
    return {r.id: from_row(r) for r in rows}


async def save(writer: BatchWriter, question: Question, now: datetime) -> None:
    values = _row(question, now)

    def work(conn: Connection) -> None:
        done = conn.execute(
            update(quiz_questions).where(quiz_questions.c.id == question.id).values(**values)
        )
        if not done.rowcount:
            conn.execute(quiz_questions.insert().values(**values))

    await writer.write(work)


@dataclass(frozen=True)
class Contest:
    id: int
    name: str
    starts_on: date
    ends_on: date


async def current_contest(engine: AsyncEngine, today: date) -> Contest | None:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(quiz_contests)
                .where(quiz_contests.c.starts_on <= today, quiz_contests.c.ends_on >= today)
                .order_by(quiz_contests.c.id.desc())
                .limit(1)
            )
        ).first()
    return Contest(row.id, row.name, row.starts_on, row.ends_on) if row else None


async def contests(engine: AsyncEngine) -> list[Contest]:
    async with engine.connect() as conn:
        rows = (
            await conn.execute(select(quiz_contests).order_by(quiz_contests.c.id.desc()))
        ).all()
    return [Contest(r.id, r.name, r.starts_on, r.ends_on) for r in rows]


async def add_contest(
    writer: BatchWriter, name: str, starts_on: date, ends_on: date, now: datetime
) -> None:
    if not name.strip() or ends_on < starts_on:
        raise BankError("cần tên cuộc thi và ngày kết thúc không trước ngày bắt đầu")

    def work(conn: Connection) -> None:
        conn.execute(
            quiz_contests.insert().values(
                name=name.strip()[:200], starts_on=starts_on, ends_on=ends_on, created_at=now
            )
        )

    await writer.write(work)
