"""One user message in, replies out: the path every channel shares.

It pseudonymises the sender, runs the Rasa turn with a time limit, maps the intent to its topic
and records the turn. A failed or slow turn still gives the citizen an answer (an apology), and
the error is logged without the message text.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot import keys
from bot.engine.runner import AssistantNotReady, TurnResult
from bot.privacy import user_ref
from bot.replies import Reply

log = logging.getLogger(__name__)

APOLOGY = (
    "Xin lỗi, hệ thống đang bận nên mình chưa trả lời được. "
    "Bạn vui lòng gửi lại câu hỏi sau ít phút nhé."
)
TRUNCATED_NOTE = "Tin nhắn của bạn khá dài nên mình chỉ đọc phần đầu."


@dataclass(frozen=True)
class Outcome:
    replies: list[Reply]
    topic: str
    result: TurnResult | None
    # The user asked to erase their data: the channel must erase the last traces once the
    # confirmation is sent.
    erase_after_send: bool = False


def replies_from_rasa(messages: list[dict[str, Any]]) -> list[Reply]:
    out = []
    for message in messages:
        text = message.get("text") or ""
        buttons = tuple(
            {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
            for b in message.get("buttons") or []
            if b.get("title")
        )
        if text or buttons:
            out.append(Reply(text=text, buttons=buttons))
    return out


def ref_for(app: web.Application, channel: str, page_id: str, platform_id: str) -> str:
    return user_ref(app[keys.pseudonym_key_key], channel, page_id, platform_id)


async def handle_message(app: web.Application, *, channel: str, ref: str, text: str) -> Outcome:
    """Run one turn for the pseudonymous user `ref` on `channel`."""
    settings = app[keys.settings_key]
    runner = app[keys.runner_key]
    truncated = len(text) > settings.max_message_chars
    text = text[: settings.max_message_chars]
    try:
        result = await asyncio.wait_for(
            runner.turn(f"{channel}:{ref}", text), timeout=settings.turn_timeout_s
        )
    except AssistantNotReady:
        raise
    except asyncio.TimeoutError:
        log.error("turn timed out after %.0f s (channel %s)", settings.turn_timeout_s, channel)
        app[keys.metrics_key].errors.labels("turn_timeout").inc()
        return Outcome([Reply(APOLOGY)], "out_of_scope", None)
    except Exception as exc:
        log.error("turn failed on channel %s: %s", channel, type(exc).__name__)
        app[keys.metrics_key].errors.labels("turn_failed").inc()
        return Outcome([Reply(APOLOGY)], "out_of_scope", None)
    app[keys.metrics_key].turn_latency.labels(channel).observe(result.latency_ms / 1000)
    topic = app[keys.topics_key].topic_of(result.intent, fallback=result.fallback)
    await app[keys.recorder_key].record(channel, ref, topic, result)
    replies = replies_from_rasa(result.replies)
    if result.intent in DATA_RIGHTS_INTENTS:
        return await _data_rights(app, channel, ref, result, topic)
    if truncated:
        replies.insert(0, Reply(TRUNCATED_NOTE))
    if not replies:
        # Rasa answered nothing (no rule fired and no fallback text): never leave silence.
        replies = [Reply(APOLOGY)]
    return Outcome(replies, topic, result)


DATA_RIGHTS_INTENTS = frozenset({"data_view", "data_delete_confirm"})


async def _data_rights(
    app: web.Application, channel: str, ref: str, result: TurnResult, topic: str
) -> Outcome:
    """ "Xem dữ liệu của tôi" and the confirmed "xóa dữ liệu của tôi" are done by the gateway,
    which holds the data; the assistant's own reply is replaced by the outcome."""
    from bot.data_rights import erase, summarise

    now = app[keys.clock_key]()
    if result.intent == "data_view":
        summary = await summarise(app[keys.db_key], ref)
        if summary.messages == 0:
            text = "Hiện mình chưa lưu câu hỏi nào của bạn."
        else:
            topics = ", ".join(
                f"{name} ({count})" for name, count in sorted(summary.topics.items())
            )
            first = summary.first_seen.strftime("%d/%m/%Y") if summary.first_seen else "?"
            text = (
                f"Mình đang lưu về bạn: {summary.messages} câu hỏi từ {first}, theo chủ đề: "
                f"{topics}. Không lưu tên, số điện thoại hay nội dung có số định danh, số tài "
                "khoản, mã OTP (những số này được che trước khi lưu)."
            )
        buttons = ({"title": "Xóa dữ liệu", "payload": "/data_delete"},)
        return Outcome([Reply(text, buttons)], topic, result)
    removed = await erase(
        app[keys.writer_key],
        ref,
        [f"{channel}:{ref}"],
        now,
        channel=channel,
        keep_recipient=channel != "web",
    )
    log.info("data erased on request (%s, %d rows)", channel, removed)
    text = (
        "Mình đã xóa toàn bộ dữ liệu đã lưu về bạn: lịch sử câu hỏi, chủ đề và thời gian. "
        "Nếu bạn nhắn tiếp, đó sẽ là một cuộc trò chuyện mới."
    )
    return Outcome([Reply(text)], topic, result, erase_after_send=channel != "web")
