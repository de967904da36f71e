"""A citizen's data rights in chat: see what is stored, erase it, withdraw consent.

The gateway holds the data, so it answers these intents itself; the assistant's own reply is
replaced by the outcome.
"""

from __future__ import annotations

import logging

from bot.conversation import consent
from bot.conversation.chain import Answer, ChatHandlers, Notice, Turn
from bot.conversation.citizens import DECLINED, GRANTED, PENDING, Citizen
from bot.core.privacy import rasa_sender_id
from bot.core.replies import Reply
from bot.core.services import Services
from bot.features.data_rights.erasure import erase, summarise
from bot.features.data_rights.hooks import OUTBOX_KIND as ERASURE

log = logging.getLogger(__name__)

DELETE_BUTTON = ({"title": "Xóa dữ liệu", "payload": "/data_delete"},)
NOTHING_STORED = "Hiện mình chưa lưu câu hỏi nào của bạn."
ERASED = (
    "Mình đã xóa toàn bộ dữ liệu đã lưu về bạn: lịch sử câu hỏi, chủ đề và thời gian. "
    "Nếu bạn nhắn tiếp, đó sẽ là một cuộc trò chuyện mới."
)


def chat(desk: None, services: Services) -> ChatHandlers:
    async def request(turn: Turn) -> Answer | None:
        if turn.intent == "consent_withdraw":
            return await _withdraw(services, turn.citizen)
        if turn.intent == "data_view":
            return await _view(services, turn.citizen)
        if turn.intent == "data_delete_confirm":
            return await _erase(services, turn)
        return None

    return ChatHandlers(after_nlu={"request": request})


async def _withdraw(services: Services, citizen: Citizen) -> Answer:
    await services.citizens.update(citizen, consent=DECLINED, awaiting=None, newsletter=False)
    text = consent.WITHDRAWN.format(days=services.settings.retention_days)
    return Answer([Reply(text, DELETE_BUTTON)], notice=Notice.NEVER)


async def _view(services: Services, citizen: Citizen) -> Answer:
    summary = await summarise(services.engine, citizen.ref)
    if summary.messages == 0:
        text = NOTHING_STORED
    else:
        topics = ", ".join(f"{name} ({count})" for name, count in sorted(summary.topics.items()))
        first = summary.first_seen.strftime("%d/%m/%Y") if summary.first_seen else "?"
        text = (
            f"Mình đang lưu về bạn: {summary.messages} tin nhắn từ {first} (số điện thoại, "
            f"số định danh, số tài khoản, mã OTP đã được che), theo chủ đề: {topics}; kèm thời "
            "gian, kênh, mã ẩn danh của bạn và mã tài khoản do Zalo/Facebook cấp để gửi tin trả "
            "lời. Nếu bạn đã dùng tới: biệt danh và điểm thi, bài dự thi kèm tên liên hệ, đăng "
            "ký bản tin, đánh giá và tin nhắn với tình nguyện viên."
        )
    text += " " + _choices(citizen)
    return Answer([Reply(text, DELETE_BUTTON)], notice=Notice.FIRST_CONTACT)


async def _erase(services: Services, turn: Turn) -> Answer:
    citizen, channel = turn.citizen, turn.channel
    ref = citizen.ref
    removed = await erase(
        services.writer,
        ref,
        [rasa_sender_id(channel, ref)],
        services.clock(),
        channel=channel,
        keep_recipient=channel != "web",
    )
    services.citizens.forget(ref)
    # The confirmation itself is recorded without a reference: nothing of the citizen is left.
    citizen.consent, citizen.conversation_id, citizen.commune = None, None, None
    citizen.erased = True
    log.info("data erased on request (%s, %d rows)", channel, removed)
    # Web chat answers in the response: nothing is left to erase after sending.
    kind = ERASURE if channel != "web" else None
    return Answer([Reply(ERASED)], notice=Notice.NEVER, last_kind=kind)


def _choices(citizen: Citizen) -> str:
    state = {
        GRANTED: "Bạn đã đồng ý cho lưu dữ liệu.",
        DECLINED: "Bạn không đồng ý (hoặc đã rút lại): mình không lưu câu hỏi mới của bạn.",
    }.get(citizen.consent or PENDING, "Bạn chưa chọn có cho lưu dữ liệu hay không.")
    where = f" Xã/phường bạn chọn: {citizen.commune}." if citizen.commune else ""
    return state + where
