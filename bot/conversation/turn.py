"""One user message in, replies out: the path every channel shares.

The gateway's handlers run first (buttons, answers a feature awaits, pasted messages), then the
Rasa turn with a time limit, then the handlers that answer an intent from a feature's data; the
assistant's own answer comes last. Every message is recorded, and the consent notice is added
here, in one place. A failed or slow turn still gets an answer (an apology), and the error is
logged without the message text.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.conversation import consent
from bot.conversation.chain import AddOn, Answer, Handler, Notice, Reread, Turn, first_answer
from bot.conversation.citizens import PENDING, Citizen
from bot.conversation.recording import NOT_RATED_TOPICS
from bot.core.privacy import rasa_sender_id
from bot.core.replies import Reply
from bot.core.services import Services
from bot.engine.runner import AssistantNotReady, TurnResult

log = logging.getLogger(__name__)

APOLOGY = (
    "Xin lỗi, hệ thống đang bận nên mình chưa trả lời được. "
    "Bạn vui lòng gửi lại câu hỏi sau ít phút nhé."
)
TRUNCATED_NOTE = "Tin nhắn của bạn khá dài nên mình chỉ đọc phần đầu."
RATINGS = ("feedback_positive", "feedback_negative")
FOLLOW = "/follow"
# Messenger shows at most 13 quick replies.
MAX_QUICK_REPLIES = 13


@dataclass(frozen=True)
class Outcome:
    replies: list[Reply]
    topic: str
    result: TurnResult | None
    citizen: Citizen | None = None
    # The outbox kind of the last reply (bot/pipeline/hooks.py), e.g. "erasure".
    last_kind: str | None = None


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


@dataclass(frozen=True)
class Chain:
    """The handlers of a turn, in the order bot/features/registry.py gives."""

    before_nlu: Sequence[Handler] = ()
    after_nlu: Sequence[Handler] = ()
    rereads: Sequence[Reread] = ()
    add_ons: Sequence[AddOn] = ()


class Conversation:
    def __init__(self, services: Services, chain: Chain) -> None:
        self._services = services
        self._chain = chain

    async def handle(
        self, channel: str, ref: str, text: str, attachment_url: str | None = None
    ) -> Outcome:
        """Run one turn for the pseudonymous user `ref` on `channel`; `attachment_url`: the
        address of the image sent, if any."""
        citizens = self._services.citizens
        citizen = await citizens.get(channel, ref)
        outcome = await self._handle(citizen, channel, text, attachment_url)
        await citizens.end_turn(citizen)
        return outcome

    async def _handle(
        self, citizen: Citizen, channel: str, text: str, attachment_url: str | None = None
    ) -> Outcome:
        started = time.perf_counter()
        turn = Turn(citizen, channel, text, first_contact=citizen.consent is None)
        turn.attachment_url = attachment_url
        answer = await first_answer(self._chain.before_nlu, turn)
        if answer is not None:
            return await self._gateway_answered(turn, answer, started)
        return await self._nlu_turn(turn)

    async def _gateway_answered(self, turn: Turn, answer: Answer, started: float) -> Outcome:
        """A message a handler answered before the NLU: recorded like any other."""
        latency_ms = (time.perf_counter() - started) * 1000
        result = TurnResult([], answer.intent, 1.0, latency_ms=latency_ms)
        topic = answer.topic or "out_of_scope"
        await self._services.recorder.inbound(turn.citizen, turn.channel, topic, result, turn.text)
        replies = await self._with_notice(turn, answer.replies, answer.notice)
        if len(turn.text) > self._services.settings.max_message_chars:
            # Handlers read only the first part too (the scam check of a long paste).
            replies = [Reply(TRUNCATED_NOTE), *replies]
        return Outcome(replies, topic, result, turn.citizen, answer.last_kind)

    async def _nlu_turn(self, turn: Turn) -> Outcome:
        settings = self._services.settings
        citizen = turn.citizen
        follow = turn.text == FOLLOW
        # A new Zalo follower gets the welcome (and the newsletter offer, an add-on).
        text = "/greet" if follow else turn.text
        truncated = len(text) > settings.max_message_chars
        turn.text = text = text[: settings.max_message_chars]
        result = await self._rasa(turn.channel, citizen.ref, turn.nlu_text or text)
        if result is None:
            return Outcome([Reply(APOLOGY)], "out_of_scope", None, citizen)
        if turn.reading is not None and turn.ranking:
            # The dialogue was given the decided intent: record how sure the classifier was.
            ranking = [{"name": name, "confidence": c} for name, c in turn.ranking]
            result = dataclasses.replace(
                result, confidence=turn.reading.confidence, ranking=ranking
            )
        await self._understood(turn, result)
        turn.follow = follow
        answer = await first_answer(self._chain.after_nlu, turn)
        if answer is not None:
            replies = await self._with_notice(turn, answer.replies, answer.notice)
            topic = answer.topic or turn.topic
            return Outcome(replies, topic, turn.result, citizen, answer.last_kind)
        replies = await self._assistant_replies(turn)
        if truncated:
            replies.insert(0, Reply(TRUNCATED_NOTE))
        # Rasa answered nothing (no rule fired and no fallback text): never leave silence.
        replies = replies or [Reply(APOLOGY)]
        if self._notice_due(turn, Notice.USUAL):
            replies = await self._add_notice(turn, replies)
        elif turn.topic not in NOT_RATED_TOPICS and not result.fallback:
            replies = _with_rating(replies)
        return Outcome(replies, turn.topic, turn.result, citizen)

    async def _rasa(self, channel: str, ref: str, text: str) -> TurnResult | None:
        """The assistant's turn, or None (logged and counted) when it failed or was too slow."""
        services = self._services
        timeout = services.settings.turn_timeout_s
        assert services.assistant is not None
        try:
            result = await asyncio.wait_for(
                services.assistant.turn(rasa_sender_id(channel, ref), text), timeout=timeout
            )
        except AssistantNotReady:
            raise
        except asyncio.TimeoutError:
            log.error("turn timed out after %.0f s (channel %s)", timeout, channel)
            services.metrics.errors.labels("turn_timeout").inc()
            return None
        except Exception as exc:
            log.error("turn failed on channel %s: %s", channel, type(exc).__name__)
            services.metrics.errors.labels("turn_failed").inc()
            return None
        services.metrics.turn_latency.labels(channel).observe(result.latency_ms / 1000)
        return result

    async def _understood(self, turn: Turn, result: TurnResult) -> None:
        """What the NLU made of the message, recorded; a rating recorded for the last answer."""
        services, citizen = self._services, turn.citizen
        turn.topic = services.topics.topic_of(result.intent, fallback=result.fallback)
        rated_topic = citizen.last_topic
        for reread in self._chain.rereads:
            turn.reread = reread(turn.text, turn.topic)
            if turn.reread is not None:
                # E.g. a forwarded scam message: the check answers, not the general advice.
                result = dataclasses.replace(result, intent=turn.reread[1])
                break
        turn.result = result
        turn.opens_conversation = citizen.new_conversation(services.clock())
        await services.recorder.inbound(citizen, turn.channel, turn.topic, result, turn.text)
        if result.intent in RATINGS:
            helpful = result.intent == RATINGS[0]
            await services.recorder.feedback(citizen, turn.channel, rated_topic, helpful)
        turn.understood = result.intent not in (None, "nlu_fallback")
        citizen.fallbacks_in_row = 0 if turn.understood else citizen.fallbacks_in_row + 1

    async def _assistant_replies(self, turn: Turn) -> list[Reply]:
        """The assistant's own answer (or what a reread put instead), and the add-ons."""
        assert turn.result is not None
        if turn.reread is not None:
            replies = list(turn.reread[0])
        else:
            replies = replies_from_rasa(turn.result.replies)
        for add_on in self._chain.add_ons:
            extra = await add_on(turn)
            if extra is not None:
                replies.append(extra)
        return replies

    @staticmethod
    def _notice_due(turn: Turn, when: Notice) -> bool:
        if when is Notice.NEVER:
            return False
        return turn.first_contact or (
            when is Notice.USUAL and turn.citizen.consent == PENDING and turn.opens_conversation
        )

    async def _with_notice(self, turn: Turn, replies: list[Reply], when: Notice) -> list[Reply]:
        """The consent notice after the answer (the citizen asked something first), when due;
        then the notice's buttons are the answer the gateway awaits."""
        if not self._notice_due(turn, when):
            return replies
        return await self._add_notice(turn, replies)

    async def _add_notice(self, turn: Turn, replies: list[Reply]) -> list[Reply]:
        citizen = turn.citizen
        days = self._services.settings.retention_days
        # Before the NLU a feature may await an answer of its own: the notice does not take it.
        if turn.result is not None or citizen.awaiting is None:
            await self._services.citizens.update(citizen, awaiting="consent")
        return [*replies, consent.notice(days)]


def _with_rating(replies: list[Reply]) -> list[Reply]:
    last = replies[-1]
    if len(last.buttons) + len(consent.FEEDBACK_BUTTONS) > MAX_QUICK_REPLIES:
        return replies
    return [*replies[:-1], Reply(last.text, last.buttons + consent.FEEDBACK_BUTTONS)]
