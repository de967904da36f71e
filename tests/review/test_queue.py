"""What joins the review queue and what an admin's decision writes, on a real SQLite database:
questions not understood, answered unsure, asked back or rated down join; buttons, confident
answers, other people's words and reviewed questions do not; a decision writes the reviewed
examples (none of the held-out set), marks the messages and adds an audit line."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import create_engine
from bot.db.migrate import upgrade
from bot.db.models import feedback, messages
from bot.db.writer import BatchWriter
from bot.review import queue
from bot.review.grouping import Group
from tests.fakes.postgres import fresh_databases, pg_up

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)
LOW = 0.6


@dataclass
class Db:
    engine: AsyncEngine
    writer: BatchWriter

    async def add(self, *rows: dict[str, Any]) -> None:
        def work(conn: Connection) -> None:
            conn.execute(messages.insert(), [message(**r) for r in rows])

        await self.writer.write(work)

    async def rate(self, user_ref: str, topic: str, when: datetime, helpful: bool) -> None:
        def work(conn: Connection) -> None:
            conn.execute(
                feedback.insert().values(
                    created_at=when, channel="web", user_ref=user_ref, topic=topic, helpful=helpful
                )
            )

        await self.writer.write(work)

    async def texts(self) -> list[str]:
        return sorted(i.text for i in await queue.items(self.engine, NOW, LOW))

    async def rows(self, sql: str) -> list[tuple[Any, ...]]:
        async with self.engine.connect() as conn:
            return [tuple(r) for r in (await conn.execute(sa.text(sql))).all()]


def message(**values: Any) -> dict[str, Any]:
    row = {
        "created_at": NOW - timedelta(hours=1),
        "channel": "web",
        "user_ref": "u1",
        "direction": "in",
        "intent": "dx_what_is",
        "topic": "digital_transformation",
        "confidence": 0.95,
        "fallback": False,
        "text": "câu hỏi",
    }
    row.update(values)
    return row


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Db]:
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path / 'review.db'}"
        elif pg_up():
            made = stack.enter_context(fresh_databases("khdx_review"))()
            url = made.replace("postgresql+psycopg2://", "postgresql+asyncpg://")
        else:
            pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
        upgrade(url)
        found = Db(create_engine(url), BatchWriter(url))
        yield found
        await found.writer.stop()
        await found.engine.dispose()


async def test_what_joins_the_queue(db: Db) -> None:
    await db.add(
        message(text="máy cày kéo lúa", intent="nlu_fallback", confidence=0.3, fallback=True),
        message(text="vneid lỗi gì đó", confidence=0.41),
        message(text="đăng ký", intent="clarify", confidence=1.0),
        message(text="bảo hiểm", intent="service_choice", confidence=1.0),
        message(text="chuyển đổi số là gì", confidence=0.97),  # confident: not in the queue
        message(text="/dx_what_is", confidence=0.2),  # a button
        message(text="   ", intent="nlu_fallback", fallback=True),
        message(text=None, intent="nlu_fallback", fallback=True),  # no consent: no text
        message(text="chào bạn", direction="out", confidence=None),
        message(text="cũ quá rồi", fallback=True, created_at=NOW - timedelta(weeks=9)),
    )
    assert await db.texts() == ["bảo hiểm", "máy cày kéo lúa", "vneid lỗi gì đó", "đăng ký"]
    reasons = {i.text: i.reason for i in await queue.items(db.engine, NOW, LOW)}
    assert reasons == {
        "máy cày kéo lúa": "fallback",
        "vneid lỗi gì đó": "low_confidence",
        "đăng ký": "clarify",
        "bảo hiểm": "clarify",
    }
    # A stricter setting takes more in.
    assert "chuyển đổi số là gì" in [i.text for i in await queue.items(db.engine, NOW, 0.99)]


async def test_a_thumbs_down_brings_the_question_it_rated(db: Db) -> None:
    asked = NOW - timedelta(minutes=30)
    await db.add(
        message(text="thuế đất nộp ở đâu", user_ref="u2", topic="land", created_at=asked),
        message(
            text="/feedback_negative",
            user_ref="u2",
            topic="feedback",
            created_at=asked + timedelta(minutes=1),
        ),
        message(text="cảm ơn", user_ref="u2", topic="smalltalk", created_at=asked),
        # Another citizen's confident question just before: not theirs to rate.
        message(text="học bổng", user_ref="u3", topic="land", created_at=asked),
        # A rated-up answer's question stays out.
        message(text="cấp đổi sổ đỏ", user_ref="u4", topic="land", created_at=asked),
    )
    await db.rate("u2", "land", asked + timedelta(minutes=1), helpful=False)
    await db.rate("u4", "land", asked + timedelta(minutes=1), helpful=True)
    found = await queue.items(db.engine, NOW, LOW)
    assert [(i.text, i.reason) for i in found] == [("thuế đất nộp ở đâu", "thumbs_down")]


async def _group(db: Db) -> Group:
    found = await queue.groups(db.engine, NOW, LOW)
    assert len(found) == 1
    return found[0]


async def test_a_decision_writes_examples_marks_messages_and_audits(db: Db) -> None:
    fallback = {"intent": "nlu_fallback", "confidence": 0.2, "fallback": True}
    await db.add(
        message(text="Làm sao cài VNeID?", **fallback),
        message(text="lam sao cai vneid", **fallback),
        message(text="em k cai duoc vneid [số điện thoại]", **fallback),
        message(text="cài vneid thế nào", **fallback),  # a held-out line, say
    )
    found = await _group(db)
    assert found.count == 4
    heldout = frozenset({"cai vneid the nao"})
    decision = await queue.decide(
        db.writer,
        found,
        "vneid_install",
        kind="assign",
        reviewer="admin",
        now=NOW,
        heldout=heldout,
    )
    assert decision == queue.Decision(examples=2, messages=4)
    rows = await db.rows(
        "SELECT text, intent, group_key, reviewer, kind, model_version FROM reviewed_examples"
    )
    assert sorted(rows) == [
        ("Làm sao cài VNeID?", "vneid_install", found.key, "admin", "assign", None),
        (
            "em k cai duoc vneid số điện thoại",
            "vneid_install",
            found.key,
            "admin",
            "assign",
            None,
        ),
    ]
    assert await db.rows("SELECT action, rows FROM audit_log") == [("review_assign", 4)]
    assert await queue.groups(db.engine, NOW, LOW) == []
    # Twice (two admins at once): the second finds it gone, nothing written twice.
    with pytest.raises(queue.GroupGone):
        await queue.decide(
            db.writer, found, "other", kind="assign", reviewer="b", now=NOW, heldout=heldout
        )
    assert len(await db.rows("SELECT id FROM reviewed_examples")) == 2


async def test_a_new_question_after_a_decision_starts_the_group_again(db: Db) -> None:
    await db.add(message(text="xin giấy phép lái xe", fallback=True))
    await queue.decide(
        db.writer, await _group(db), "x", kind="assign", reviewer="a", now=NOW, heldout=set()
    )
    await db.add(message(text="xin giay phep lai xe", fallback=True))
    assert (await _group(db)).count == 1


def test_the_held_out_set_is_read() -> None:
    found = queue.heldout_readings()
    assert len(found) > 300
    assert "chao buoi toi ad" in found


def test_a_new_intent_is_named_after_the_question() -> None:
    from bot.review.grouping import Item

    found = Group("abcdef123456", [Item(1, "Làm sao cài VNeID [số điện thoại]?", NOW, "fallback")])
    assert queue.new_intent(found, set()) == "reviewed_lam_sao_cai_vneid_so_dien_thoai"
    taken = {"reviewed_lam_sao_cai_vneid_so_dien_thoai"}
    assert queue.new_intent(found, taken) == "reviewed_lam_sao_cai_vneid_so_dien_thoai_abcdef"


async def test_a_message_id_given_again_after_an_erasure_is_not_taken_for_reviewed(
    db: Db, request: pytest.FixtureRequest
) -> None:
    if "sqlite" not in request.node.name:
        pytest.skip("PostgreSQL's sequences never give an id twice")
    await db.add(message(text="xin giấy phép lái xe", fallback=True))
    await queue.decide(
        db.writer, await _group(db), "x", kind="assign", reviewer="a", now=NOW, heldout=set()
    )
    [(erased,)] = await db.rows("SELECT id FROM messages")

    def erase(conn: Connection) -> None:  # as the citizen's erasure does
        conn.execute(sa.delete(messages))

    await db.writer.write(erase)
    later = NOW - timedelta(minutes=5)
    await db.add(message(text="đăng ký kết hôn", fallback=True, created_at=later))
    assert await db.rows("SELECT id FROM messages") == [(erased,)]  # SQLite gave the id again
    found = await _group(db)
    assert found.examples() == ["đăng ký kết hôn"]
    decision = await queue.decide(
        db.writer, found, "y", kind="assign", reviewer="a", now=NOW, heldout=set()
    )
    assert decision.messages == 1
    assert await queue.groups(db.engine, NOW, LOW) == []
