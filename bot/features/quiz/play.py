"""The quiz in chat: start, ten questions answered with buttons or by typing A/B/C/D or the
option's text, immediate feedback with the explanation and source, the score, a nickname for
the leaderboard, "điểm của tôi", the rules.

One counted attempt per consenting citizen per contest period; every other attempt is practice.
The quiz only takes the messages that answer it: anything else goes to the assistant as usual,
and the quiz waits ("thi tiếp" resumes it).
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.engine import Connection

from bot.conversation.citizens import Citizen
from bot.core.replies import Reply
from bot.core.vntime import local_day
from bot.db.models import citizens, quiz_attempts
from bot.features.base import Desk
from bot.features.quiz import bank
from bot.nlu.text import folded_words

if TYPE_CHECKING:
    from bot.core.services import Services

QUESTIONS_PER_ATTEMPT = 10
START, STOP, RESUME = "/quiz_start", "/quiz_stop", "/quiz_resume"
ANSWER, BOARD, SKIP_NICK = "/quiz_answer:", "/quiz_leaderboard", "/quiz_skip_nickname"
START_WORDS = {"thi thu", "bat dau thi", "choi quiz", "lam bai thi", "thi ngay", "vao thi"}
STOP_WORDS = {"dung thi", "thoat thi", "ngung thi", "huy bai thi", "dung"}
RESUME_WORDS = {"thi tiep", "lam tiep", "tiep tuc thi"}
BOARD_WORDS = {"bang xep hang", "xep hang", "bxh"}
_ANSWER = re.compile(r"^(?:dap an|chon|cau|phuong an|la)?\s*([abcd])\s*$")
_NICK = re.compile(r"^[\w .\-]{2,20}$")


@dataclass(frozen=True)
class Played:
    replies: list[Reply]
    intent: str


def question_reply(q: bank.Question, number: int, total: int) -> Reply:
    lines = [f"Câu {number}/{total}: {q.question}"]
    lines += [
        f"{letter}. {option}" for letter, option in zip(bank.LETTERS, q.options, strict=True)
    ]
    buttons = tuple({"title": letter, "payload": f"{ANSWER}{letter}"} for letter in bank.LETTERS)
    return Reply("\n".join(lines), buttons + ({"title": "Dừng thi", "payload": STOP},))


def parse_answer(text: str, q: bank.Question) -> str | None:
    if text.startswith(ANSWER):
        letter = text[len(ANSWER) :].strip().upper()
        return letter if letter in bank.LETTERS else None
    words = folded_words(text, punctuation=True)
    found = _ANSWER.match(words)
    if found:
        return found.group(1).upper()
    for letter, option in zip(bank.LETTERS, q.options, strict=True):
        if words and words == folded_words(option, punctuation=True):
            return letter
    return None


class QuizDesk(Desk):
    def __init__(self, services: Services, rng: random.Random | None = None) -> None:
        super().__init__(services)
        self._registry = services.citizens
        self._rng = rng or random.Random()

    def today(self) -> date:
        return local_day(self._clock())

    # -- entry points ------------------------------------------------------------------------
    async def handle(self, citizen: Citizen, text: str) -> Played | None:
        """Messages the quiz takes before the assistant sees them."""
        words = folded_words(text, punctuation=True)
        if text == START or words in START_WORDS:
            return await self.start(citizen)
        if text == BOARD or words in BOARD_WORDS:
            return Played([await self.leaderboard_reply()], "quiz_leaderboard")
        if citizen.awaiting == "nickname":
            named = await self._nickname(citizen, text)
            if named is not None:
                return named
        attempt = await self._active(citizen)
        if attempt is None:
            return None
        if text == STOP or words in STOP_WORDS:
            await self._set(
                attempt.id, status="stopped", finished_at=self._clock(), **self._anon(citizen)
            )
            citizen.quiz_attempt_id = None
            return Played(
                [Reply('Đã dừng bài thi. Gõ "thi thử" để bắt đầu lại nhé.')], "quiz_stop"
            )
        ids = json.loads(attempt.question_ids)
        questions = await bank.get(self._engine, ids)
        current = questions.get(ids[attempt.position])
        if current is None:  # removed from the bank meanwhile: skip it
            await self._set(attempt.id, position=attempt.position + 1)
            return await self._next(citizen, attempt.id)
        if text == RESUME or words in RESUME_WORDS:
            return Played([question_reply(current, attempt.position + 1, len(ids))], "quiz_resume")
        letter = parse_answer(text, current)
        if letter is None:
            return None  # not an answer: the assistant replies, the quiz waits
        return await self._answer(citizen, attempt, ids, current, letter)

    async def _nickname(self, citizen: Citizen, text: str) -> Played | None:
        """The answer to "which nickname?"; None when `text` is not one (the question is
        dropped and the message goes on)."""
        if text == SKIP_NICK:
            await self._registry.update(citizen, awaiting=None)
            return Played([Reply("Được rồi, bạn sẽ hiện là người chơi ẩn danh.")], "quiz_nickname")
        if _NICK.match(text.strip()) and not text.startswith("/"):
            nickname = " ".join(text.split())
            await self._registry.update(citizen, nickname=nickname, awaiting=None)
            return Played(
                [Reply(f'Đã lưu biệt danh "{nickname}" cho bảng xếp hạng.')], "quiz_nickname"
            )
        await self._registry.update(citizen, awaiting=None)
        return None

    async def on_intent(self, citizen: Citizen, intent: str | None) -> Played | None:
        """Quiz intents the NLU recognised ("thi trắc nghiệm", "điểm của tôi", "thể lệ")."""
        if intent == "quiz_start":
            return await self.start(citizen)
        if intent == "quiz_score":
            return Played([await self.my_score(citizen)], "quiz_score")
        if intent == "quiz_rules":
            return Played([await self.rules()], "quiz_rules")
        return None

    async def reminder(self, citizen: Citizen) -> Reply | None:
        """After an unrelated answer: the quiz is still open."""
        attempt = await self._active(citizen)
        if attempt is None:
            return None
        return Reply(
            f"Bài thi của bạn đang chờ ở câu {attempt.position + 1}.",
            ({"title": "Thi tiếp", "payload": RESUME}, {"title": "Dừng thi", "payload": STOP}),
        )

    # -- attempts ----------------------------------------------------------------------------
    async def start(self, citizen: Citizen) -> Played:
        attempt = await self._active(citizen)
        if attempt is not None:
            ids = json.loads(attempt.question_ids)
            questions = await bank.get(self._engine, ids)
            q = questions.get(ids[attempt.position])
            if q is not None:
                note = Reply(
                    f"Bạn đang làm dở bài thi, tiếp tục ở câu {attempt.position + 1} nhé."
                )
                return Played(
                    [note, question_reply(q, attempt.position + 1, len(ids))], "quiz_resume"
                )
        pool = await bank.active_questions(self._engine)
        if len(pool) < QUESTIONS_PER_ATTEMPT:
            return Played(
                [Reply("Ngân hàng câu hỏi đang được cập nhật, bạn quay lại sau nhé.")],
                "quiz_start",
            )
        picked = self._rng.sample(pool, QUESTIONS_PER_ATTEMPT)
        contest = await bank.current_contest(self._engine, self.today())
        counted = False
        if contest is not None and citizen.consented:
            counted = not await self._has_counted(citizen.ref, contest.id)
        now = self._clock()
        values = {
            "channel": citizen.channel,
            "user_ref": citizen.ref,
            "contest_id": contest.id if contest else None,
            "counted": counted,
            "status": "active",
            "started_at": now,
            "question_ids": json.dumps([q.id for q in picked]),
            "position": 0,
            "score": 0,
        }

        def work(conn: Connection) -> int:
            return int(
                conn.execute(quiz_attempts.insert().values(**values)).inserted_primary_key[0]
            )

        citizen.quiz_attempt_id = await self._writer.write(work)
        if counted:
            assert contest is not None
            intro = (
                f'Bắt đầu bài thi "{contest.name}": {QUESTIONS_PER_ATTEMPT} câu, mỗi câu chọn A, '
                "B, C hoặc D (bấm nút hoặc gõ). Lượt này được tính điểm: mỗi người một lượt."
            )
        else:
            why = (
                "Hiện không có cuộc thi nào đang diễn ra."
                if contest is None
                else "Bạn đã dùng lượt tính điểm của cuộc thi này."
                if citizen.consented
                else "Muốn được tính điểm trong cuộc thi, bạn cần đồng ý cho lưu dữ liệu."
            )
            intro = (
                f"Bắt đầu lượt luyện tập: {QUESTIONS_PER_ATTEMPT} câu, mỗi câu chọn A, B, C hoặc "
                f"D. {why}"
            )
        first = question_reply(picked[0], 1, QUESTIONS_PER_ATTEMPT)
        return Played([Reply(intro), first], "quiz_start")

    async def _answer(
        self, citizen: Citizen, attempt: Any, ids: list[str], q: bank.Question, letter: str
    ) -> Played:
        correct = letter == q.answer
        score = attempt.score + (1 if correct else 0)
        position = attempt.position + 1
        head = (
            "✅ Chính xác!"
            if correct
            else f"❌ Chưa đúng. Đáp án đúng: {q.answer}. {q.correct_text}."
        )
        feedback = Reply(f"{head}\n{q.why}\nNguồn: {q.source}")
        if position < len(ids):
            await self._set(attempt.id, position=position, score=score)
            questions = await bank.get(self._engine, [ids[position]])
            nxt = questions.get(ids[position])
            if nxt is None:
                return Played([feedback], "quiz_answer")
            return Played([feedback, question_reply(nxt, position + 1, len(ids))], "quiz_answer")
        finished_at = self._clock()
        await self._set(
            attempt.id,
            position=position,
            score=score,
            status="finished",
            finished_at=finished_at,
            commune=citizen.commune if citizen.consented else None,
            **self._anon(citizen),
        )
        citizen.quiz_attempt_id = None
        lines = [f"🎉 Hoàn thành! Bạn trả lời đúng {score}/{len(ids)} câu."]
        replies = [feedback]
        if attempt.counted:
            rank = await self._rank(attempt.contest_id, score, finished_at, attempt.id)
            lines.append(f"Điểm được tính vào cuộc thi; bạn đang xếp thứ {rank}.")
        else:
            lines.append("Đây là lượt luyện tập, không tính vào bảng xếp hạng.")
        buttons = (
            {"title": "Bảng xếp hạng", "payload": BOARD},
            {"title": "Thi lại (luyện tập)", "payload": START},
        )
        replies.append(Reply("\n".join(lines), buttons))
        if attempt.counted and citizen.consented and not citizen.nickname:
            await self._registry.update(citizen, awaiting="nickname")
            replies.append(
                Reply(
                    "Bạn muốn hiện tên gì trên bảng xếp hạng? Gõ một biệt danh (2-20 ký tự), "
                    "không cần tên thật.",
                    ({"title": "Bỏ qua", "payload": SKIP_NICK},),
                )
            )
        return Played(replies, "quiz_finish")

    async def _next(self, citizen: Citizen, attempt_id: int) -> Played | None:
        citizen.quiz_attempt_id = attempt_id
        attempt = await self._active(citizen)
        if attempt is None:
            return None
        ids = json.loads(attempt.question_ids)
        if attempt.position >= len(ids):
            await self._set(attempt_id, status="finished", finished_at=self._clock())
            return Played([Reply(f"Hoàn thành! Bạn được {attempt.score} điểm.")], "quiz_finish")
        q = (await bank.get(self._engine, [ids[attempt.position]])).get(ids[attempt.position])
        if q is None:
            await self._set(attempt_id, position=attempt.position + 1)
            return await self._next(citizen, attempt_id)
        return Played([question_reply(q, attempt.position + 1, len(ids))], "quiz_resume")

    # -- figures -----------------------------------------------------------------------------
    async def my_score(self, citizen: Citizen) -> Reply:
        contest = await bank.current_contest(self._engine, self.today())
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(quiz_attempts).where(
                        quiz_attempts.c.user_ref == citizen.ref,
                        quiz_attempts.c.status == "finished",
                    )
                )
            ).all()
        if not citizen.consented or not rows:
            text = (
                'Mình chưa có điểm thi nào của bạn. Gõ "thi thử" để bắt đầu nhé.'
                if citizen.consented
                else "Mình chỉ lưu điểm của người đã đồng ý cho lưu dữ liệu. "
                'Gõ "thi thử" để luyện tập.'
            )
            return Reply(text, ({"title": "Thi thử", "payload": START},))
        counted = [r for r in rows if r.counted and contest and r.contest_id == contest.id]
        practice = [r for r in rows if not r.counted]
        lines = []
        if counted:
            best = counted[0]
            rank = await self._rank(best.contest_id, best.score, best.finished_at, best.id)
            lines.append(f'Cuộc thi "{contest.name}": {best.score}/10 điểm, xếp thứ {rank}.')  # type: ignore[union-attr]
        if practice:
            lines.append(
                f"Luyện tập: {len(practice)} lượt, cao nhất {max(r.score for r in practice)}/10."
            )
        if not lines:
            lines.append("Bạn chưa thi lượt tính điểm nào trong cuộc thi hiện tại.")
        return Reply("\n".join(lines), ({"title": "Bảng xếp hạng", "payload": BOARD},))

    async def rules(self) -> Reply:
        contest = await bank.current_contest(self._engine, self.today())
        when = (
            f'Cuộc thi "{contest.name}" diễn ra từ {contest.starts_on:%d/%m/%Y} đến '
            f"{contest.ends_on:%d/%m/%Y}."
            if contest
            else "Hiện chưa có cuộc thi nào đang diễn ra; bạn vẫn luyện tập được."
        )
        text = (
            f"{when} Mỗi lượt 10 câu ngẫu nhiên về chuyển đổi số, an toàn thông tin, VNeID và "
            "dịch vụ công. Mỗi người có một lượt tính điểm trong một cuộc thi (cần đồng ý cho lưu "
            "dữ liệu); các lượt sau là luyện tập. Xếp hạng theo điểm, bằng điểm thì ai hoàn thành "
            "trước xếp trên. Tên trên bảng xếp hạng là biệt danh bạn chọn, không phải tên Zalo "
            "hay Facebook."
        )
        return Reply(text, ({"title": "Thi thử", "payload": START},))

    async def leaderboard(self, contest_id: int | None = None, limit: int = 10) -> dict[str, Any]:
        if contest_id is None:
            contest = await bank.current_contest(self._engine, self.today())
            if contest is None:
                past = await bank.contests(self._engine)
                contest = past[0] if past else None
            contest_id = contest.id if contest else None
        if contest_id is None:
            return {"contest": None, "people": [], "communes": []}
        counted = and_(
            quiz_attempts.c.contest_id == contest_id,
            quiz_attempts.c.counted.is_(True),
            quiz_attempts.c.status == "finished",
        )
        async with self._engine.connect() as conn:
            people = (
                await conn.execute(
                    select(quiz_attempts.c.user_ref, quiz_attempts.c.score, citizens.c.nickname)
                    .select_from(
                        quiz_attempts.outerjoin(
                            citizens, citizens.c.user_ref == quiz_attempts.c.user_ref
                        )
                    )
                    .where(counted)
                    .order_by(quiz_attempts.c.score.desc(), quiz_attempts.c.finished_at)
                    .limit(limit)
                )
            ).all()
            by_commune = (
                await conn.execute(
                    select(
                        quiz_attempts.c.commune,
                        func.count(),
                        func.avg(quiz_attempts.c.score),
                    )
                    .where(counted, quiz_attempts.c.commune.is_not(None))
                    .group_by(quiz_attempts.c.commune)
                    .order_by(func.avg(quiz_attempts.c.score).desc(), func.count().desc())
                    .limit(limit)
                )
            ).all()
        return {
            "contest": contest_id,
            "people": [
                {
                    "name": r.nickname or f"Người chơi #{(r.user_ref or '????')[:4]}",
                    "score": r.score,
                }
                for r in people
            ],
            "communes": [
                {"commune": c, "players": int(n), "average": round(float(a), 1)}
                for c, n, a in by_commune
            ],
        }

    async def leaderboard_reply(self) -> Reply:
        board = await self.leaderboard()
        if not board["people"]:
            return Reply(
                'Bảng xếp hạng chưa có ai. Gõ "thi thử" để là người đầu tiên!',
                ({"title": "Thi thử", "payload": START},),
            )
        lines = ["🏆 Bảng xếp hạng:"]
        lines += [f"{i}. {p['name']}: {p['score']}/10" for i, p in enumerate(board["people"], 1)]
        if board["communes"]:
            lines.append("Theo xã, phường (điểm trung bình):")
            lines += [
                f"{i}. {c['commune']}: {c['average']} ({c['players']} người)"
                for i, c in enumerate(board["communes"][:5], 1)
            ]
        return Reply("\n".join(lines), ({"title": "Thi thử", "payload": START},))

    # -- storage -----------------------------------------------------------------------------
    async def _active(self, citizen: Citizen) -> Any | None:
        if citizen.quiz_attempt_id is None:
            return None
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(quiz_attempts).where(
                        quiz_attempts.c.id == citizen.quiz_attempt_id,
                        quiz_attempts.c.status == "active",
                    )
                )
            ).first()
        if row is None:
            citizen.quiz_attempt_id = None
        return row

    async def _has_counted(self, ref: str, contest_id: int) -> bool:
        async with self._engine.connect() as conn:
            found = (
                await conn.execute(
                    select(func.count()).where(
                        quiz_attempts.c.user_ref == ref,
                        quiz_attempts.c.contest_id == contest_id,
                        quiz_attempts.c.counted.is_(True),
                        quiz_attempts.c.status.in_(("active", "finished")),
                    )
                )
            ).scalar_one()
        return bool(found)

    async def _rank(
        self, contest_id: int, score: int, finished_at: datetime, attempt_id: int
    ) -> int:
        async with self._engine.connect() as conn:
            better = (
                await conn.execute(
                    select(func.count()).where(
                        quiz_attempts.c.contest_id == contest_id,
                        quiz_attempts.c.counted.is_(True),
                        quiz_attempts.c.status == "finished",
                        quiz_attempts.c.id != attempt_id,
                        (quiz_attempts.c.score > score)
                        | (
                            (quiz_attempts.c.score == score)
                            & (quiz_attempts.c.finished_at < finished_at)
                        ),
                    )
                )
            ).scalar_one()
        return int(better) + 1

    def _anon(self, citizen: Citizen) -> dict[str, Any]:
        """A practice attempt of a citizen without consent keeps no reference once it ends."""
        return {} if citizen.consented else {"user_ref": None}

    async def _set(self, attempt_id: int, **values: Any) -> None:
        def work(conn: Connection) -> None:
            conn.execute(
                update(quiz_attempts).where(quiz_attempts.c.id == attempt_id).values(**values)
            )

        await self._writer.write(work)
