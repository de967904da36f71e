"""Handing a conversation to a person: the youth-union volunteers' desk.

A citizen asks for a person ("cho tôi gặp người hỗ trợ", the button, or two fallbacks in a row):
a `handoffs` row joins the volunteers' queue and the assistant pauses for that citizen (they are
told so, and reminded now and then while nobody has claimed it). What the citizen writes
meanwhile is kept (masked) for the volunteer. A volunteer claims the conversation in the admin
pages, replies — sent through the citizen's channel inside its messaging window (Messenger's
HUMAN_AGENT tag up to 7 days) — and hands it back. The citizen can return to the assistant with
"quay lại trợ lý". Nobody claiming in time -> an apology.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection

from bot.channels.windows import window_state
from bot.conversation.citizens import Citizen
from bot.core.privacy import mask_text
from bot.core.replies import Reply
from bot.db.models import (
    audit_log,
    handoff_messages,
    handoff_outcomes,
    handoffs,
    outbox,
    recipients,
)
from bot.features.base import Desk
from bot.features.handoff import outcomes, routing
from bot.nlu.text import folded_words
from bot.pipeline.inbox import encode_body

if TYPE_CHECKING:
    from bot.core.services import Services

log = logging.getLogger(__name__)

OPEN_STATUSES = ("waiting", "claimed")
# The outbox kind of what a handoff sends: volunteer replies and the desk's own notices.
OUTBOX_KIND = "handoff"
# The audit log's action when an admin takes a handoff from the volunteer who claimed it.
TAKEOVER_ACTION = "handoff_takeover"
END_PAYLOAD = "/handoff_end"
END_WORDS = frozenset(
    {"quay lai tro ly", "quay lai bot", "gap tro ly", "ket thuc ho tro", "tro ve tro ly",
     "quay lai", "thoat"}
)  # fmt: skip
FALLBACKS_BEFORE_HANDOFF = 2
BACK_BUTTON = ({"title": "Quay lại trợ lý", "payload": END_PAYLOAD},)

OPENED = (
    "Mình đã chuyển cuộc trò chuyện tới tình nguyện viên Đoàn Thanh niên. Bạn cứ nhắn nội dung "
    "cần hỗ trợ, tình nguyện viên sẽ trả lời ngay tại đây khi nhận. Không nhắn mật khẩu, mã OTP. "
    'Muốn tiếp tục với trợ lý tự động, bạn gõ "quay lại trợ lý".'
)
AFTER_FALLBACKS = "Có vẻ mình chưa hiểu đúng ý bạn. " + OPENED
STILL_WAITING = (
    "Tin nhắn của bạn đã được chuyển tới tình nguyện viên, bạn chờ một chút nhé. Muốn tiếp tục "
    'với trợ lý tự động, bạn gõ "quay lại trợ lý".'
)
# How often a waiting citizen is told again that their message was passed on.
REMIND_EVERY = timedelta(minutes=2)
CLAIMED = "Tình nguyện viên {name} đã nhận cuộc trò chuyện và sẽ trả lời bạn ngay tại đây."
BACK = "Bạn đã quay lại với trợ lý tự động. Bạn cần hỏi gì cứ nhắn mình nhé."
HANDED_BACK = (
    "Tình nguyện viên đã kết thúc hỗ trợ. Từ giờ trợ lý tự động tiếp tục trả lời bạn; cần người "
    'hỗ trợ lần nữa, bạn gõ "gặp người hỗ trợ".'
)
APOLOGY = (
    "Xin lỗi bạn, hiện chưa có tình nguyện viên nào trực để nhận cuộc trò chuyện.{hotline} "
    "Bạn cũng có thể gửi phản ánh, kiến nghị tới tỉnh tại {pakn}. Mình đưa bạn quay lại trợ lý "
    "tự động."
)


def is_end(text: str) -> bool:
    return text.strip() == END_PAYLOAD or folded_words(text) in END_WORDS


@dataclass(frozen=True)
class Sent:
    ok: bool
    reason: str = ""


class HandoffDesk(Desk):
    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self._reminded: dict[str, datetime] = {}

    async def current(self, citizen: Citizen) -> Any | None:
        """The citizen's open handoff, if any."""
        async with self._engine.connect() as conn:
            return (
                await conn.execute(
                    select(handoffs)
                    .where(
                        handoffs.c.user_ref == citizen.ref, handoffs.c.status.in_(OPEN_STATUSES)
                    )
                    .order_by(handoffs.c.id.desc())
                    .limit(1)
                )
            ).first()

    async def open(self, citizen: Citizen, reason: str) -> int:
        now = self._clock()

        def work(conn: Connection) -> int:
            existing = conn.execute(
                select(handoffs.c.id).where(
                    handoffs.c.user_ref == citizen.ref, handoffs.c.status.in_(OPEN_STATUSES)
                )
            ).first()
            if existing is not None:
                return int(existing.id)
            new_id = int(
                conn.execute(
                    handoffs.insert().values(
                        created_at=now,
                        channel=citizen.channel,
                        user_ref=citizen.ref,
                        reason=reason,
                        status="waiting",
                        commune=citizen.commune,
                    )
                ).inserted_primary_key[0]
            )
            # SQLite may reuse the id of an erased handoff: its outcomes are not this one's.
            conn.execute(delete(handoff_outcomes).where(handoff_outcomes.c.handoff_id == new_id))
            return new_id

        handoff_id = await self._writer.write(work)
        citizen.handoff_id = handoff_id
        log.info("handoff %d opened (%s, %s)", handoff_id, citizen.channel, reason)
        return handoff_id

    async def citizen_wrote(self, citizen: Citizen, handoff: Any, text: str) -> list[Reply]:
        """Keep what the citizen wrote for the volunteer; while it waits, say so now and then."""
        now = self._clock()
        masked = mask_text(text[:2000])

        def work(conn: Connection) -> None:
            conn.execute(
                handoff_messages.insert().values(
                    handoff_id=handoff.id,
                    created_at=now,
                    author="citizen",
                    text=masked,
                    user_ref=citizen.ref,
                )
            )

        await self._writer.write(work)
        if handoff.status != "waiting":
            return []  # a volunteer has it and answers
        last = self._reminded.get(citizen.ref)
        if last is not None and now - last < REMIND_EVERY:
            return []
        self._reminded[citizen.ref] = now
        if len(self._reminded) > 10_000:
            self._reminded.clear()
        return [Reply(STILL_WAITING, BACK_BUTTON)]

    async def close(self, handoff_id: int, by: str, *, owner: str | None = None) -> Any | None:
        """Close an open handoff (only if `owner` still holds it, when given); returns its row
        as it was, or None if it was not open. The citizen is answered by the assistant again
        from their next message."""
        now = self._clock()

        def work(conn: Connection) -> Any | None:
            row = conn.execute(select(handoffs).where(handoffs.c.id == handoff_id)).first()
            if row is None or row.status not in OPEN_STATUSES:
                return None
            if owner is not None and row.status == "claimed" and row.claimed_by != owner:
                return None  # taken over meanwhile
            status = "expired" if by == "timeout" else "closed"
            conn.execute(
                update(handoffs)
                .where(handoffs.c.id == handoff_id)
                .values(status=status, closed_at=now, closed_by=by)
            )
            return row

        row = await self._writer.write(work)
        if row is not None:
            self._services.citizens.drop_handoff(row.user_ref)
        return row

    @property
    def local_wait(self) -> timedelta:
        """How long a citizen's commune has its volunteers to itself (see routing.py)."""
        return timedelta(minutes=self._services.settings.handoff_local_wait_min)

    async def claim(self, handoff_id: int, volunteer: str, role: str = routing.ADMIN) -> Sent:
        """Claim a waiting handoff; a volunteer of another commune only once the citizen's
        commune had its wait (checked in the same transaction)."""
        now = self._clock()
        wait = self.local_wait

        def work(conn: Connection) -> Sent:
            row = conn.execute(select(handoffs).where(handoffs.c.id == handoff_id)).first()
            if row is None or row.status != "waiting":
                return Sent(False, "Cuộc trò chuyện đã có người nhận hoặc đã đóng.")
            viewer = routing.viewer_sync(conn, volunteer, role)
            if not routing.may_take(row, viewer, wait, now):
                until = routing.local_until(row, wait, viewer.served)
                return Sent(False, routing.too_early(row, until or now))
            done = conn.execute(
                update(handoffs)
                .where(handoffs.c.id == handoff_id, handoffs.c.status == "waiting")
                .values(status="claimed", claimed_by=volunteer, claimed_at=now)
            ).rowcount
            return Sent(bool(done), "" if done else "Cuộc trò chuyện đã có người nhận.")

        claimed = await self._writer.write(work)
        if claimed.ok:
            await self.send(handoff_id, CLAIMED.format(name=volunteer), author="bot")
        return claimed

    async def ask_rating(self, handoff_id: int) -> Sent:
        """After a volunteer helped: the citizen rates it with buttons."""
        return await self.send(
            handoff_id, outcomes.RATE_QUESTION, author="bot",
            buttons=outcomes.rate_question(handoff_id).buttons,
        )  # fmt: skip

    async def rate(self, citizen: Citizen, handoff_id: int, score: int) -> str:
        """A citizen's tap on a rating button: "rated", "again" or "no" (see outcomes.rate)."""
        now = self._clock()
        return await self._writer.write(
            lambda conn: outcomes.rate(conn, handoff_id, citizen.ref, score, now)
        )

    async def record_outcomes(
        self, handoff_id: int, chosen: list[str], by: str, role: str
    ) -> str | None:
        """What the handoff achieved, by the volunteer who had it (or an admin); an error
        message, or None once stored."""
        now = self._clock()

        def work(conn: Connection) -> str | None:
            row = conn.execute(select(handoffs).where(handoffs.c.id == handoff_id)).first()
            if row is None or row.claimed_by is None:
                return "Chưa có tình nguyện viên nhận cuộc trò chuyện này."
            if row.claimed_by != by and role != routing.ADMIN:
                return f"Chỉ {row.claimed_by} (người đã hỗ trợ) mới ghi kết quả."
            outcomes.replace(conn, handoff_id, chosen, by, now)
            return None

        return await self._writer.write(work)

    async def take_over(self, handoff_id: int, admin: str) -> bool:
        """An admin takes an open handoff from whoever claimed it; recorded in the audit log."""
        now = self._clock()

        def work(conn: Connection) -> Any | None:
            row = conn.execute(select(handoffs).where(handoffs.c.id == handoff_id)).first()
            if row is None or row.status not in OPEN_STATUSES:
                return None
            conn.execute(
                update(handoffs)
                .where(handoffs.c.id == handoff_id)
                .values(status="claimed", claimed_by=admin, claimed_at=now)
            )
            if row.status == "claimed" and row.claimed_by != admin:
                conn.execute(
                    audit_log.insert().values(
                        created_at=now, action=TAKEOVER_ACTION, channel=row.channel, rows=1
                    )
                )
            return row

        row = await self._writer.write(work)
        if row is None:
            return False
        if row.claimed_by != admin:
            log.info("handoff %d taken over by an admin", handoff_id)
            await self.send(handoff_id, CLAIMED.format(name=admin), author="bot")
        return True

    async def send(self, handoff_id: int, text: str, *, author: str, volunteer: str | None = None,
                   buttons: tuple[dict[str, str], ...] = ()) -> Sent:  # fmt: skip
        """Send `text` to the citizen of a handoff through their channel, inside its window."""
        now = self._clock()
        async with self._engine.connect() as conn:
            handoff = (
                await conn.execute(select(handoffs).where(handoffs.c.id == handoff_id))
            ).first()
            if handoff is None:
                return Sent(False, "không tìm thấy")
            if volunteer is not None and handoff.claimed_by != volunteer:
                return Sent(False, f"{handoff.claimed_by} đang hỗ trợ người dân này")
            recipient = (
                await conn.execute(
                    select(recipients.c.page_id, recipients.c.last_inbound_at).where(
                        recipients.c.user_ref == handoff.user_ref
                    )
                )
            ).first()
        channel = handoff.channel
        if channel == "web":
            page_id, last_inbound = "web", now
        elif recipient is None:
            return Sent(False, "người dân đã xóa dữ liệu hoặc bỏ theo dõi")
        else:
            page_id, last_inbound = recipient.page_id, recipient.last_inbound_at
        state = window_state(channel, last_inbound, now)
        if not state.human_allowed or state.messaging_type is None:
            return Sent(False, "đã quá thời hạn được phép nhắn lại (7 ngày kể từ tin cuối)")
        if channel == "web":
            bodies = [Reply(text, buttons).as_dict()]
        else:
            bodies = self._services.outbound.render(channel, [Reply(text, buttons)])
        # Messenger: after 24 h only a person may reply, and must say so with the tag.
        messaging_type = state.messaging_type if author == "volunteer" else "RESPONSE"
        if author != "volunteer" and not state.automated_allowed:
            messaging_type = state.messaging_type

        def work(conn: Connection) -> None:
            for body in bodies:
                conn.execute(
                    outbox.insert().values(
                        platform=channel,
                        page_id=page_id,
                        user_ref=handoff.user_ref,
                        body=encode_body(body),
                        messaging_type=messaging_type,
                        created_at=now,
                        status="pending",
                        attempts=0,
                        next_attempt_at=now,
                        kind=OUTBOX_KIND,
                    )
                )
            conn.execute(
                handoff_messages.insert().values(
                    handoff_id=handoff_id,
                    created_at=now,
                    author=author,
                    volunteer=volunteer,
                    text=mask_text(text),
                    user_ref=handoff.user_ref,
                )
            )
            if author == "volunteer" and handoff.first_response_at is None:
                conn.execute(
                    update(handoffs)
                    .where(handoffs.c.id == handoff_id)
                    .values(first_response_at=now)
                )

        await self._writer.write(work)
        if channel != "web":
            self._services.outbound.wake((channel, handoff.user_ref))
        return Sent(True)

    async def expire_unclaimed(self, timeout: timedelta, apology: str) -> int:
        """Apologise to citizens nobody claimed in time and return them to the assistant."""
        cutoff = self._clock() - timeout
        async with self._engine.connect() as conn:
            stale = (
                (
                    await conn.execute(
                        select(handoffs.c.id).where(
                            handoffs.c.status == "waiting", handoffs.c.created_at < cutoff
                        )
                    )
                )
                .scalars()
                .all()
            )
        for handoff_id in stale:
            await self.send(handoff_id, apology, author="bot")
            await self.close(handoff_id, "timeout")
        if stale:
            log.info("%d unclaimed handoffs expired with an apology", len(stale))
        return len(stale)
