"""The monthly newsletter: subscribing in chat, issues written by admins, and the broadcast.

A broadcast is a newsletter issue (to subscribers) or an alert, e.g. a new scam wave (to everyone
who consented), to a segment: chosen communes and/or topics asked about lately, or everyone
(bot/features/newsletter/segment.py). It goes only to those inside their platform's messaging
window for automated messages (Messenger: 24 h since the citizen's last message; Zalo: the free
48 h consultation window); everyone else is counted as skipped, never messaged with a tag meant
for something else (none of Messenger's tags allows news or alerts). Messages go through the
outbox (rate limits, retries) and are checked against the subscription (or the consent) again
just before sending, so unsubscribing stops delivery at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.facebook.adapter import TEXT_LIMIT as FACEBOOK_TEXT_LIMIT
from bot.channels.windows import window_state
from bot.channels.zalo.adapter import TEXT_LIMIT as ZALO_TEXT_LIMIT
from bot.conversation.citizens import Citizen
from bot.core.replies import Reply
from bot.db.models import audit_log, citizens, newsletter_issues, outbox, recipients
from bot.features.base import Desk
from bot.features.newsletter.segment import Segment, from_row
from bot.pipeline.inbox import encode_body

if TYPE_CHECKING:
    from bot.core.services import Services

log = logging.getLogger(__name__)
SUBSCRIBE, UNSUBSCRIBE = "/newsletter_subscribe", "/newsletter_unsubscribe"
UNSUBSCRIBE_BUTTON = ({"title": "Hủy nhận bản tin", "payload": UNSUBSCRIBE},)
BROADCAST_CHANNELS = ("facebook", "zalo")
# The outbox kinds of an issue's and an alert's messages (hooks: bot/features/newsletter/hooks.py).
OUTBOX_KIND = "newsletter"
ALERT_KIND = "alert"
# What an admin chooses to send, by its outbox kind.
KINDS = {OUTBOX_KIND: "Bản tin", ALERT_KIND: "Cảnh báo"}
# One platform message per citizen, so that each figure counts people.
MESSAGE_LIMIT = min(FACEBOOK_TEXT_LIMIT, ZALO_TEXT_LIMIT)
OFFER = (
    "Bạn có muốn nhận bản tin chuyển đổi số hằng tháng của tỉnh (tin mới, sự kiện, cảnh báo lừa "
    "đảo) qua đây không?"
)
OFFER_BUTTONS = (
    {"title": "Nhận bản tin", "payload": SUBSCRIBE},
    {"title": "Không, cảm ơn", "payload": "/deny"},
)


@dataclass(frozen=True)
class Issue:
    id: int
    title: str
    body: str
    link: str | None
    kind: str = OUTBOX_KIND

    def reply(self) -> Reply:
        if self.kind == ALERT_KIND:
            # An alert is not the newsletter: no button to unsubscribe from it.
            return Reply(self._text(f"⚠️ Cảnh báo: {self.title}"))
        return Reply(self._text(f"📰 {self.title}"), UNSUBSCRIBE_BUTTON)

    def _text(self, headline: str) -> str:
        text = f"{headline}\n{self.body}"
        return f"{text}\n{self.link}" if self.link else text


def _issue(row: Any) -> Issue:
    return Issue(row.id, row.title, row.body, row.link, row.kind)


class NewsletterDesk(Desk):
    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self._registry = services.citizens

    # -- chat --------------------------------------------------------------------------------
    async def on_intent(self, citizen: Citizen, intent: str | None) -> list[Reply] | None:
        if intent == "newsletter_subscribe":
            return await self.subscribe(citizen)
        if intent == "newsletter_unsubscribe":
            if citizen.newsletter:
                await self._registry.update(citizen, newsletter=False)
            return [
                Reply(
                    'Đã hủy: bạn sẽ không nhận bản tin nữa. Muốn nhận lại, gõ "đăng ký bản tin".'
                )
            ]
        if intent == "news_latest":
            latest = await self.latest()
            if latest is None:
                text = "Chưa có bản tin nào được phát hành. Bạn đăng ký để nhận số đầu tiên nhé."
                return [Reply(text, ({"title": "Nhận bản tin", "payload": SUBSCRIBE},))]
            return [latest.reply()]
        return None

    async def subscribe(self, citizen: Citizen) -> list[Reply]:
        if citizen.channel not in BROADCAST_CHANNELS:
            return [
                Reply(
                    "Bản tin được gửi qua Zalo OA và Facebook Messenger của tỉnh. Trên trang web, "
                    'bạn gõ "tin mới" để xem số gần nhất.'
                )
            ]
        if not citizen.consented:
            return [
                Reply(
                    "Để gửi bản tin cho bạn, mình cần lưu mã ẩn danh của bạn, tức là cần bạn "
                    'đồng ý cho lưu dữ liệu. Bạn đồng ý rồi gõ lại "đăng ký bản tin" nhé.',
                    ({"title": "Đồng ý", "payload": "/consent_accept"},),
                )
            ]
        if citizen.newsletter:
            return [Reply("Bạn đã đăng ký nhận bản tin rồi. Cảm ơn bạn!", UNSUBSCRIBE_BUTTON)]
        await self._registry.update(citizen, newsletter=True)
        return [
            Reply(
                "Đã đăng ký! Bản tin được gửi khi bạn vừa nhắn cho trợ lý trong thời gian nền "
                'tảng cho phép (Facebook 24 giờ, Zalo 48 giờ). Hủy bất cứ lúc nào: "hủy nhận '
                'bản tin".',
                UNSUBSCRIBE_BUTTON,
            )
        ]

    async def latest(self) -> Issue | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(newsletter_issues)
                    .where(
                        newsletter_issues.c.status == "sent",
                        newsletter_issues.c.kind == OUTBOX_KIND,
                    )
                    .order_by(newsletter_issues.c.sent_at.desc())
                    .limit(1)
                )
            ).first()
        return _issue(row) if row else None

    # -- admin -------------------------------------------------------------------------------
    async def create(
        self,
        title: str,
        body: str,
        link: str | None,
        author: str,
        send_at: datetime,
        *,
        kind: str = OUTBOX_KIND,
        segment: Segment | None = None,
    ) -> int:
        now = self._clock()
        chosen = segment or Segment()

        def work(conn: Connection) -> int:
            return int(
                conn.execute(
                    newsletter_issues.insert().values(
                        title=title,
                        body=body,
                        link=link or None,
                        created_by=author,
                        created_at=now,
                        send_at=send_at,
                        status="scheduled",
                        kind=kind,
                        **chosen.columns(),
                    )
                ).inserted_primary_key[0]
            )

        return await self._writer.write(work)

    async def audience(
        self, kind: str = OUTBOX_KIND, segment: Segment | None = None
    ) -> tuple[list[Any], list[Any]]:
        """Who a broadcast of `kind` to `segment` is for: those inside their window now, and
        those outside it. An issue is for subscribers, an alert for everyone who consented;
        never for someone who unfollowed the OA."""
        now = self._clock()
        wanted = [
            citizens.c.consent == "granted",
            citizens.c.channel.in_(BROADCAST_CHANNELS),
            or_(recipients.c.followed.is_(None), recipients.c.followed.is_(True)),
            *(segment or Segment()).conditions(now),
        ]
        if kind == OUTBOX_KIND:
            wanted.append(citizens.c.newsletter.is_(True))
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(
                        citizens.c.user_ref,
                        citizens.c.channel,
                        recipients.c.page_id,
                        recipients.c.last_inbound_at,
                    )
                    .select_from(
                        citizens.join(recipients, recipients.c.user_ref == citizens.c.user_ref)
                    )
                    .where(*wanted)
                )
            ).all()
        inside: list[Any] = []
        outside: list[Any] = []
        for row in rows:
            state = window_state(row.channel, row.last_inbound_at, now)
            (inside if state.automated_allowed else outside).append(row)
        return inside, outside

    async def send_due(self) -> int:
        """Send every scheduled issue whose time has come; returns how many went out."""
        now = self._clock()
        async with self._engine.connect() as conn:
            due = (
                await conn.execute(
                    select(newsletter_issues).where(
                        newsletter_issues.c.status == "scheduled",
                        newsletter_issues.c.send_at <= now,
                    )
                )
            ).all()
        for row in due:
            await self._broadcast(_issue(row), from_row(row))
        return len(due)

    async def _broadcast(self, issue: Issue, segment: Segment) -> None:
        inside, outside = await self.audience(issue.kind, segment)
        now = self._clock()
        rows = []
        for sub in inside:
            bodies = self._services.outbound.render(sub.channel, [issue.reply()])
            rows += [
                {
                    "platform": sub.channel,
                    "page_id": sub.page_id,
                    "user_ref": sub.user_ref,
                    "body": encode_body(body),
                    # Messenger: a message that is not a reply, inside the 24 h window.
                    "messaging_type": "UPDATE" if sub.channel == "facebook" else "RESPONSE",
                    "created_at": now,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "issue_id": issue.id,
                    "kind": issue.kind,
                }
                for body in bodies
            ]

        def work(conn: Connection) -> None:
            done = conn.execute(
                update(newsletter_issues)
                .where(
                    newsletter_issues.c.id == issue.id, newsletter_issues.c.status == "scheduled"
                )
                .values(
                    status="sent",
                    sent_at=now,
                    recipients=len(inside) + len(outside),
                    queued=len(inside),
                    skipped=len(outside),
                )
            )
            if done.rowcount != 1:  # another worker sent it already
                return
            if rows:
                conn.execute(outbox.insert(), rows)
            # For audit: what was broadcast and to how many, never to whom.
            conn.execute(
                audit_log.insert().values(
                    created_at=now, action=f"broadcast_{issue.kind}", rows=len(inside)
                )
            )

        await self._writer.write(work)
        log.info(
            "%s %d: %d queued, %d outside the window",
            issue.kind,
            issue.id,
            len(inside),
            len(outside),
        )
        self._services.outbound.wake(None)

    async def issues(self) -> list[dict[str, Any]]:
        """Every issue with its delivery figures."""
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(newsletter_issues).order_by(newsletter_issues.c.id.desc())
                )
            ).all()
            sends = (
                await conn.execute(
                    select(outbox.c.issue_id, outbox.c.status, outbox.c.delivery, func.count())
                    .where(outbox.c.issue_id.is_not(None))
                    .group_by(outbox.c.issue_id, outbox.c.status, outbox.c.delivery)
                )
            ).all()
        figures: dict[int, dict[str, int]] = {}
        for issue_id, status, delivery, n in sends:
            f = figures.setdefault(issue_id, {})
            f[status] = f.get(status, 0) + int(n)
            if delivery:
                f[delivery] = f.get(delivery, 0) + int(n)
        return [
            {
                "id": r.id,
                "kind": r.kind,
                "segment": from_row(r).describe(),
                "title": r.title,
                "status": r.status,
                "send_at": r.send_at,
                "sent_at": r.sent_at,
                "recipients": r.recipients,
                "queued": r.queued,
                "skipped": r.skipped,
                "sent": figures.get(r.id, {}).get("sent", 0),
                "failed": figures.get(r.id, {}).get("dead", 0),
                "cancelled": figures.get(r.id, {}).get("cancelled", 0),
                "delivered": figures.get(r.id, {}).get("delivered", 0)
                + figures.get(r.id, {}).get("read", 0),
                "read": figures.get(r.id, {}).get("read", 0),
            }
            for r in rows
        ]

    async def subscribers(self) -> int:
        async with self._engine.connect() as conn:
            return int(
                (
                    await conn.execute(
                        select(func.count()).where(
                            and_(citizens.c.newsletter.is_(True), citizens.c.consent == "granted")
                        )
                    )
                ).scalar_one()
            )


async def still_consented(engine: AsyncEngine, ref: str) -> bool:
    async with engine.connect() as conn:
        consent = (
            await conn.execute(select(citizens.c.consent).where(citizens.c.user_ref == ref))
        ).scalar()
    return consent == "granted"


async def still_subscribed(engine: AsyncEngine, ref: str) -> bool:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(citizens.c.newsletter, citizens.c.consent).where(citizens.c.user_ref == ref)
            )
        ).first()
    return bool(row and row.newsletter and row.consent == "granted")
