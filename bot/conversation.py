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
    if truncated:
        replies.insert(0, Reply(TRUNCATED_NOTE))
    if not replies:
        # Rasa answered nothing (no rule fired and no fallback text): never leave silence.
        replies = [Reply(APOLOGY)]
    return Outcome(replies, topic, result)
