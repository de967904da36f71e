"""The quiz in the web chat on the real model and database: practice, a counted contest
attempt, answers by button, letter or option text, the leaderboard and "điểm của tôi"."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from bot.features.quiz import bank
from bot.settings import Settings
from bot.web import keys
from tests.fakes.channels import web_ask as ask
from tests.fakes.channels import web_text as text_of
from tests.fakes.settings import make_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # A test answers faster than a person reads: the web chat's per-sender limit is lifted.
    return make_settings(tmp_path, WEBCHAT_SENDER_MESSAGES="1000")


def db(settings: Settings) -> Path:
    return Path(settings.database_url.split("///", 1)[1])


def current_question(settings: Settings) -> tuple[str, list[str]]:
    """The right letter and the options of the open attempt's current question."""
    with sqlite3.connect(db(settings)) as conn:
        ids, position = conn.execute(
            "SELECT question_ids, position FROM quiz_attempts WHERE status = 'active'"
        ).fetchone()
        answer, options = conn.execute(
            "SELECT answer, options FROM quiz_questions WHERE id = ?", (json.loads(ids)[position],)
        ).fetchone()
    return answer, json.loads(options)


def wrong(letter: str) -> str:
    return "B" if letter == "A" else "A"


async def test_a_practice_round_end_to_end(client: TestClient, settings: Settings) -> None:
    sender = "quiz-practice"
    start = await ask(client, "thi thử", sender)
    assert "luyện tập" in start[0]["text"] and "không có cuộc thi" in start[0]["text"]
    assert start[1]["text"].startswith("Câu 1/10:")
    assert [b["title"] for b in start[1]["buttons"]] == ["A", "B", "C", "D", "Dừng thi"]

    right, _ = current_question(settings)
    reply = await ask(client, f"/quiz_answer:{right}", sender)  # a button
    assert reply[0]["text"].startswith("✅ Chính xác!") and "Nguồn:" in reply[0]["text"]
    assert reply[1]["text"].startswith("Câu 2/10:")
    right, _ = current_question(settings)
    reply = await ask(client, wrong(right).lower(), sender)  # a typed letter
    assert reply[0]["text"].startswith(f"❌ Chưa đúng. Đáp án đúng: {right}.")
    right, options = current_question(settings)
    reply = await ask(client, options["ABCD".index(right)], sender)  # the option's text
    assert reply[0]["text"].startswith("✅")

    # Something else mid-quiz: the assistant answers and the quiz waits.
    other = await ask(client, "vneid muc 2 dang ky o dau", sender)
    assert "công an" in text_of(other)
    assert "đang chờ ở câu 4" in other[-1]["text"]
    resumed = await ask(client, "thi tiếp", sender)
    assert resumed[0]["text"].startswith("Câu 4/10:")
    for _ in range(7):
        right, _ = current_question(settings)
        reply = await ask(client, f"/quiz_answer:{right}", sender)
    assert "Hoàn thành! Bạn trả lời đúng 9/10 câu." in text_of(reply)
    assert "luyện tập, không tính" in text_of(reply)


async def test_counted_attempt_once_per_contest_nickname_and_leaderboard(
    client: TestClient, settings: Settings
) -> None:
    app = client.app
    today = datetime.now(timezone(timedelta(hours=7))).date()
    await bank.add_contest(
        app[keys.services_key].writer,
        "Tìm hiểu chuyển đổi số 2026",
        today - timedelta(days=1),
        today + timedelta(days=10),
        app[keys.services_key].clock(),
    )
    sender = "quiz-player"
    await ask(client, "/consent_accept", sender)
    rules = text_of(await ask(client, "the le cuoc thi the nao", sender))
    assert "Tìm hiểu chuyển đổi số 2026" in rules and "một lượt tính điểm" in rules
    start = await ask(client, "/quiz_start", sender)
    assert "Lượt này được tính điểm" in start[0]["text"]
    for _ in range(10):
        right, _ = current_question(settings)
        reply = await ask(client, f"/quiz_answer:{right}", sender)
    assert "10/10" in text_of(reply) and "xếp thứ 1" in text_of(reply)
    assert "biệt danh" in reply[-1]["text"]
    saved = await ask(client, "Hoa Biển", sender)
    assert 'Đã lưu biệt danh "Hoa Biển"' in saved[0]["text"]
    board = text_of(await ask(client, "bảng xếp hạng", sender))
    assert "1. Hoa Biển: 10/10" in board
    mine = text_of(await ask(client, "điểm của tôi", sender))
    assert "10/10 điểm, xếp thứ 1" in mine
    again = await ask(client, "/quiz_start", sender)
    assert "đã dùng lượt tính điểm" in again[0]["text"]
    await ask(client, "/quiz_stop", sender)

    # Without consent: practice only, and nothing of the player is kept when it ends.
    anonymous = await ask(client, "thi thử", "quiz-anon")
    assert "cần đồng ý cho lưu dữ liệu" in text_of(anonymous)
    await ask(client, "dừng thi", "quiz-anon")
    with sqlite3.connect(db(settings)) as conn:
        rows = conn.execute(
            "SELECT counted, status, user_ref IS NULL FROM quiz_attempts ORDER BY id"
        ).fetchall()
    assert rows == [(1, "finished", 0), (0, "stopped", 0), (0, "stopped", 1)]


def test_the_bank_has_sixty_valid_sourced_questions() -> None:
    questions = bank.load_file()
    assert len(questions) >= 60
    assert len({q.id for q in questions}) == len(questions)
    assert {q.topic for q in questions} == set(bank.TOPICS)
    assert all(q.source and q.why and len(set(q.options)) == 4 for q in questions)
