"""The writing contest on digital-transformation success stories: its rules and deadline from
the admin pages, and submission in chat — the story, a contact name, the commune — confirmed
with a reference number. Submitting needs consent: a name is personal data."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from bot.conversation.citizens import Citizen
from bot.core import communes
from bot.core.privacy import mask_text
from bot.core.replies import Reply
from bot.core.vntime import local_day
from bot.db.models import contest_submissions, writing_contest
from bot.features.base import Desk
from bot.nlu.text import folded_words

if TYPE_CHECKING:
    from bot.core.services import Services

SUBMIT, CANCEL = "/contest_submit", "/contest_cancel"
CANCEL_BUTTON = ({"title": "Hủy gửi bài", "payload": CANCEL},)
START_WORDS = frozenset({"gui bai du thi", "nop bai du thi", "gui bai thi viet"})
CANCEL_WORDS = frozenset({"huy", "huy gui bai", "thoi"})
MIN_WORDS = 30
MAX_CHARS = 5000


class ContestDesk(Desk):
    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self._registry = services.citizens

    def today(self) -> date:
        return local_day(self._clock())

    async def info(self) -> Any | None:
        async with self._engine.connect() as conn:
            return (
                await conn.execute(select(writing_contest).where(writing_contest.c.id == 1))
            ).first()

    async def save_info(self, title: str, rules: str, deadline: date, link: str | None) -> None:
        values = {
            "title": title,
            "rules": rules,
            "deadline": deadline,
            "link": link or None,
            "updated_at": self._clock(),
        }

        def work(conn: Connection) -> None:
            if not conn.execute(
                update(writing_contest).where(writing_contest.c.id == 1).values(**values)
            ).rowcount:
                conn.execute(writing_contest.insert().values(id=1, **values))

        await self._writer.write(work)

    async def rules_reply(self) -> list[Reply]:
        info = await self.info()
        if info is None:
            return [
                Reply(
                    "Cuộc thi viết về chuyển đổi số chưa công bố thể lệ. Bạn đăng ký nhận bản "
                    "tin để được báo nhé.",
                    ({"title": "Nhận bản tin", "payload": "/newsletter_subscribe"},),
                )
            ]
        open_now = self.today() <= info.deadline
        text = f"✍️ {info.title}\n{info.rules}\nHạn gửi bài: {info.deadline:%d/%m/%Y}."
        if info.link:
            text += f"\nChi tiết: {info.link}"
        if not open_now:
            return [Reply(text + "\nCuộc thi đã hết hạn nhận bài.")]
        return [Reply(text, ({"title": "Gửi bài dự thi", "payload": SUBMIT},))]

    async def handle(self, citizen: Citizen, text: str) -> list[Reply] | None:
        """The submission dialogue: start, story, contact name, commune, confirmation."""
        words = folded_words(text)
        step = citizen.awaiting if (citizen.awaiting or "").startswith("contest_") else None
        if text == SUBMIT or words in START_WORDS:
            return await self._start(citizen)
        if step is None:
            return None
        draft = await self._draft(citizen)
        if text == CANCEL or words in CANCEL_WORDS or draft is None:
            await self._registry.update(citizen, awaiting=None)
            return [Reply('Đã hủy gửi bài. Khi sẵn sàng, bạn bấm "Gửi bài dự thi" lại nhé.')]
        if step == "contest_text":
            return await self._story(citizen, draft.id, text)
        if step == "contest_name":
            return await self._contact(citizen, draft.id, text)
        if step == "contest_commune":
            return await self._commune(citizen, draft.id, text)
        return None

    async def _story(self, citizen: Citizen, draft_id: int, text: str) -> list[Reply]:
        if len(text.split()) < MIN_WORDS:
            return [
                Reply(
                    f"Bài viết cần ít nhất {MIN_WORDS} từ. Bạn gửi lại toàn bộ bài trong một "
                    "tin nhắn nhé.",
                    CANCEL_BUTTON,
                )
            ]
        await self._update(draft_id, text=mask_text(text[:MAX_CHARS]))
        await self._registry.update(citizen, awaiting="contest_name")
        return [
            Reply(
                "Đã nhận bài viết. Bạn cho biết tên liên hệ (để ban tổ chức liên lạc khi đạt "
                "giải)?",
                CANCEL_BUTTON,
            )
        ]

    async def _contact(self, citizen: Citizen, draft_id: int, text: str) -> list[Reply]:
        name = " ".join(text.split())[:100]
        if len(name) < 2 or text.startswith("/"):
            return [Reply("Bạn gõ tên liên hệ giúp mình nhé.", CANCEL_BUTTON)]
        await self._update(draft_id, contact_name=name)
        await self._registry.update(citizen, awaiting="contest_commune")
        ask = "Bạn ở xã/phường nào? (ví dụ: Cam Lâm, Bắc Nha Trang, Phan Rang)"
        return [Reply(ask, CANCEL_BUTTON)]

    async def _commune(self, citizen: Citizen, draft_id: int, text: str) -> list[Reply]:
        unit = communes.match(text).commune
        if unit is None:
            return [
                Reply(
                    "Mình chưa nhận ra xã/phường này. Bạn gõ đúng tên xã/phường mới (sau "
                    "7/2025) nhé.",
                    CANCEL_BUTTON,
                )
            ]
        reference = f"BV-{self.today().year}-{draft_id:05d}"
        await self._update(draft_id, commune=unit.name, status="submitted", reference=reference)
        await self._registry.update(citizen, awaiting=None)
        return [
            Reply(
                f"✅ Đã nhận bài dự thi của bạn. Mã số: {reference}. Bạn giữ mã này để tra "
                "cứu với ban tổ chức. Cảm ơn bạn!"
            )
        ]

    async def _start(self, citizen: Citizen) -> list[Reply]:
        info = await self.info()
        if info is None or self.today() > info.deadline:
            return [Reply("Hiện không có cuộc thi viết nào đang nhận bài.")]
        if not citizen.consented:
            return [
                Reply(
                    "Bài dự thi kèm tên liên hệ của bạn, nên mình cần bạn đồng ý cho lưu dữ liệu "
                    "trước.",
                    ({"title": "Đồng ý", "payload": "/consent_accept"},),
                )
            ]
        now = self._clock()

        def work(conn: Connection) -> None:
            conn.execute(
                contest_submissions.insert().values(
                    created_at=now, channel=citizen.channel, user_ref=citizen.ref, status="draft"
                )
            )

        await self._writer.write(work)
        await self._registry.update(citizen, awaiting="contest_text")
        return [
            Reply(
                f"Bạn gửi toàn bộ bài viết trong một tin nhắn (ít nhất {MIN_WORDS} từ, tối đa "
                f"{MAX_CHARS} ký tự). Không ghi số điện thoại, số định danh vào bài.",
                CANCEL_BUTTON,
            )
        ]

    async def _draft(self, citizen: Citizen) -> Any | None:
        async with self._engine.connect() as conn:
            return (
                await conn.execute(
                    select(contest_submissions)
                    .where(
                        contest_submissions.c.user_ref == citizen.ref,
                        contest_submissions.c.status == "draft",
                    )
                    .order_by(contest_submissions.c.id.desc())
                    .limit(1)
                )
            ).first()

    async def _update(self, submission_id: int, **values: Any) -> None:
        def work(conn: Connection) -> None:
            conn.execute(
                update(contest_submissions)
                .where(contest_submissions.c.id == submission_id)
                .values(**values)
            )

        await self._writer.write(work)

    async def submissions(self) -> list[Any]:
        async with self._engine.connect() as conn:
            return list(
                (
                    await conn.execute(
                        select(contest_submissions)
                        .where(contest_submissions.c.status == "submitted")
                        .order_by(contest_submissions.c.id)
                    )
                ).all()
            )
