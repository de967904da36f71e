"""One user message in, replies out: the path every channel shares.

It pseudonymises the sender, runs the Rasa turn with a time limit, maps the intent to its topic
and records the turn. A failed or slow turn still gives the citizen an answer (an apology), and
the error is logged without the message text.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot import consent, handoff, keys, newsletter
from bot.citizens import DECLINED, GRANTED, PENDING, Citizen
from bot.engine.runner import AssistantNotReady, TurnResult
from bot.privacy import user_ref
from bot.recording import NOT_RATED_TOPICS
from bot.replies import Reply
from bot.scam import flow as scam_flow

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
    citizen: Citizen | None = None
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
    outcome = await _handle(app, channel=channel, ref=ref, text=text)
    if outcome.citizen is not None:
        await app[keys.citizens_key].end_turn(outcome.citizen)
    return outcome


async def _handle(app: web.Application, *, channel: str, ref: str, text: str) -> Outcome:
    settings = app[keys.settings_key]
    registry = app[keys.citizens_key]
    recorder = app[keys.recorder_key]
    citizen = await registry.get(channel, ref)
    first_contact = citizen.consent is None
    started = time.perf_counter()
    handled = await consent.intercept(registry, citizen, text, settings.retention_days)
    if handled is not None:
        latency_ms = (time.perf_counter() - started) * 1000
        result = TurnResult([], handled.intent, 1.0, latency_ms=latency_ms)
        await recorder.inbound(citizen, channel, handled.topic, result, text)
        return Outcome(handled.replies, handled.topic, result, citizen=citizen)
    if citizen.handoff_id is not None:
        during = await _during_handoff(app, citizen, channel, text, started)
        if during is not None:
            return during
    submitting = await app[keys.contest_key].handle(citizen, text)
    if submitting is not None:
        return await _gateway_answer(
            app,
            citizen,
            channel,
            text,
            started,
            submitting,
            "contest_submit",
            "contests_events",
            first_contact,
        )
    played = await app[keys.quiz_key].handle(citizen, text)
    if played is not None:
        return await _gateway_answer(
            app,
            citizen,
            channel,
            text,
            started,
            played.replies,
            played.intent,
            "quiz",
            first_contact,
        )
    scam = await scam_flow.handle(registry, citizen, text[: settings.max_message_chars])
    if scam is not None:
        return await _gateway_answer(
            app,
            citizen,
            channel,
            text,
            started,
            scam[0],
            scam[1],
            "scam_awareness",
            first_contact,
        )
    # A new Zalo follower: the welcome, then an offer to subscribe to the newsletter.
    follow = text == FOLLOW
    if follow:
        text = "/greet"
    truncated = len(text) > settings.max_message_chars
    text = text[: settings.max_message_chars]
    try:
        result = await asyncio.wait_for(
            runner_turn(app, channel, ref, text), timeout=settings.turn_timeout_s
        )
    except AssistantNotReady:
        raise
    except asyncio.TimeoutError:
        log.error("turn timed out after %.0f s (channel %s)", settings.turn_timeout_s, channel)
        app[keys.metrics_key].errors.labels("turn_timeout").inc()
        return Outcome([Reply(APOLOGY)], "out_of_scope", None, citizen=citizen)
    except Exception as exc:
        log.error("turn failed on channel %s: %s", channel, type(exc).__name__)
        app[keys.metrics_key].errors.labels("turn_failed").inc()
        return Outcome([Reply(APOLOGY)], "out_of_scope", None, citizen=citizen)
    app[keys.metrics_key].turn_latency.labels(channel).observe(result.latency_ms / 1000)
    topic = app[keys.topics_key].topic_of(result.intent, fallback=result.fallback)
    rated_topic = citizen.last_topic
    pasted = scam_flow.pasted_scam(text) if topic == "scam_awareness" else None
    if pasted is not None:
        # A forwarded scam message: the check answers instead of the general advice.
        result = dataclasses.replace(result, intent=pasted[1])
    opens_conversation = citizen.new_conversation(app[keys.clock_key]())
    await recorder.inbound(citizen, channel, topic, result, text)
    if result.intent in RATINGS:
        await recorder.feedback(citizen, channel, rated_topic, result.intent == RATINGS[0])
    replies = pasted[0] if pasted is not None else replies_from_rasa(result.replies)
    understood = result.intent not in (None, "nlu_fallback")
    citizen.fallbacks_in_row = 0 if understood else citizen.fallbacks_in_row + 1
    special = await _feature_answer(app, citizen, result, text, understood, topic)
    if special is not None:
        replies, topic = special
        if first_contact or (citizen.consent == PENDING and opens_conversation):
            replies = [*replies, consent.notice(settings.retention_days)]
            await registry.update(citizen, awaiting="consent")
        return Outcome(replies, topic, result, citizen=citizen)
    if follow and citizen.consented and not citizen.newsletter:
        replies.append(Reply(newsletter.OFFER, newsletter.OFFER_BUTTONS))
    if citizen.quiz_attempt_id is not None and (
        reminder := await app[keys.quiz_key].reminder(citizen)
    ):
        replies.append(reminder)
    if result.intent in DATA_RIGHTS_INTENTS:
        outcome = await _data_rights(app, channel, citizen, result, topic)
        if first_contact and result.intent == "data_view":
            outcome.replies.append(consent.notice(settings.retention_days))
            await registry.update(citizen, awaiting="consent")
        return outcome
    if truncated:
        replies.insert(0, Reply(TRUNCATED_NOTE))
    if not replies:
        # Rasa answered nothing (no rule fired and no fallback text): never leave silence.
        replies = [Reply(APOLOGY)]
    if first_contact or (citizen.consent == PENDING and opens_conversation):
        # The notice comes after the answer: the citizen asked something first.
        replies.append(consent.notice(settings.retention_days))
        await registry.update(citizen, awaiting="consent")
    elif topic not in NOT_RATED_TOPICS and not result.fallback:
        last = replies[-1]
        if len(last.buttons) + len(consent.FEEDBACK_BUTTONS) <= 13:
            replies[-1] = Reply(last.text, last.buttons + consent.FEEDBACK_BUTTONS)
    return Outcome(replies, topic, result, citizen=citizen)


async def _feature_answer(
    app: web.Application,
    citizen: Citizen,
    result: TurnResult,
    text: str,
    understood: bool,
    topic: str,
) -> tuple[list[Reply], str] | None:
    """Intents the gateway's features answer from their data (a person, the quiz, the contest,
    events, the newsletter): their replies and topic, or None for an ordinary answer."""
    if citizen.handoff_id is not None and result.intent == "handoff_request":
        return [Reply(handoff.STILL_WAITING, handoff.BACK_BUTTON)], "human_handoff"
    if citizen.handoff_id is None and (
        result.intent == "handoff_request"
        or citizen.fallbacks_in_row >= handoff.FALLBACKS_BEFORE_HANDOFF
    ):
        reason = "fallbacks" if not understood else "request"
        if text.startswith("/handoff"):
            reason = "button"
        await app[keys.handoff_key].open(citizen, reason)
        citizen.fallbacks_in_row = 0
        opened = handoff.OPENED if reason != "fallbacks" else handoff.AFTER_FALLBACKS
        return [Reply(opened, handoff.BACK_BUTTON)], "human_handoff"
    if (played := await app[keys.quiz_key].on_intent(citizen, result.intent)) is not None:
        return played.replies, topic
    if result.intent == "contest_writing":
        return await app[keys.contest_key].rules_reply(), topic
    dated = await app[keys.events_key].answer(result.intent or "", text)
    if dated is not None:
        return dated, topic
    news = await app[keys.newsletter_key].on_intent(citizen, result.intent)
    if news is not None:
        return news, topic
    return None


async def _gateway_answer(
    app: web.Application,
    citizen: Citizen,
    channel: str,
    text: str,
    started: float,
    replies: list[Reply],
    intent: str,
    topic: str,
    first_contact: bool,
) -> Outcome:
    """A message one of the gateway's own features answered: recorded like any other, and on
    first contact followed by the consent notice, as every first answer is. (`first_contact`
    is decided before the feature ran: a feature may have created the citizen's row.)"""
    latency_ms = (time.perf_counter() - started) * 1000
    result = TurnResult([], intent, 1.0, latency_ms=latency_ms)
    await app[keys.recorder_key].inbound(citizen, channel, topic, result, text)
    if first_contact:
        replies = [*replies, consent.notice(app[keys.settings_key].retention_days)]
        if citizen.awaiting is None:  # the feature may wait for an answer of its own
            await app[keys.citizens_key].update(citizen, awaiting="consent")
    return Outcome(replies, topic, result, citizen=citizen)


async def _during_handoff(
    app: web.Application, citizen: Citizen, channel: str, text: str, started: float
) -> Outcome | None:
    """A person has the conversation: keep what the citizen writes for them, or hand back."""
    desk = app[keys.handoff_key]
    current = await desk.current(citizen)
    if current is None:
        citizen.handoff_id = None
        return None
    if handoff.is_end(text):
        await desk.close(current.id, "citizen")
        citizen.handoff_id = None
        replies, intent = [Reply(handoff.BACK)], "handoff_end"
    else:
        # The assistant has paused for this citizen: what they write goes to the volunteer. While
        # nobody has claimed it they are told so now and then; once claimed, a person answers.
        replies = await desk.citizen_wrote(citizen, current, text)
        intent = "handoff_message"
    latency_ms = (time.perf_counter() - started) * 1000
    result = TurnResult([], intent, 1.0, latency_ms=latency_ms)
    await app[keys.recorder_key].inbound(citizen, channel, "human_handoff", result, text)
    return Outcome(replies, "human_handoff", result, citizen=citizen)


async def runner_turn(app: web.Application, channel: str, ref: str, text: str) -> TurnResult:
    return await app[keys.runner_key].turn(f"{channel}:{ref}", text)


RATINGS = ("feedback_positive", "feedback_negative")
FOLLOW = "/follow"
DATA_RIGHTS_INTENTS = frozenset({"data_view", "data_delete_confirm", "consent_withdraw"})


async def _data_rights(
    app: web.Application, channel: str, citizen: Citizen, result: TurnResult, topic: str
) -> Outcome:
    """ "Xem dữ liệu của tôi" and the confirmed "xóa dữ liệu của tôi" are done by the gateway,
    which holds the data; the assistant's own reply is replaced by the outcome."""
    from bot.data_rights import erase, summarise

    now = app[keys.clock_key]()
    ref = citizen.ref
    days = app[keys.settings_key].retention_days
    delete_button = ({"title": "Xóa dữ liệu", "payload": "/data_delete"},)
    if result.intent == "consent_withdraw":
        await app[keys.citizens_key].update(
            citizen, consent=DECLINED, awaiting=None, newsletter=False
        )
        text = consent.WITHDRAWN.format(days=days)
        return Outcome([Reply(text, delete_button)], topic, result, citizen=citizen)
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
                f"Mình đang lưu về bạn: {summary.messages} tin nhắn từ {first} (số điện thoại, "
                f"số định danh, số tài khoản, mã OTP đã được che), theo chủ đề: {topics}. "
                "Không lưu tên hay số điện thoại của bạn."
            )
        text += " " + _choices(citizen)
        return Outcome([Reply(text, delete_button)], topic, result, citizen=citizen)
    removed = await erase(
        app[keys.writer_key],
        ref,
        [f"{channel}:{ref}"],
        now,
        channel=channel,
        keep_recipient=channel != "web",
    )
    app[keys.citizens_key].forget(ref)
    # The confirmation itself is recorded without a reference: nothing of the citizen is left.
    citizen.consent, citizen.conversation_id, citizen.commune = None, None, None
    citizen.erased = True
    log.info("data erased on request (%s, %d rows)", channel, removed)
    text = (
        "Mình đã xóa toàn bộ dữ liệu đã lưu về bạn: lịch sử câu hỏi, chủ đề và thời gian. "
        "Nếu bạn nhắn tiếp, đó sẽ là một cuộc trò chuyện mới."
    )
    return Outcome(
        [Reply(text)], topic, result, erase_after_send=channel != "web", citizen=citizen
    )


def _choices(citizen: Citizen) -> str:
    state = {
        GRANTED: "Bạn đã đồng ý cho lưu dữ liệu.",
        DECLINED: "Bạn không đồng ý (hoặc đã rút lại): mình không lưu câu hỏi mới của bạn.",
    }.get(citizen.consent or PENDING, "Bạn chưa chọn có cho lưu dữ liệu hay không.")
    where = f" Xã/phường bạn chọn: {citizen.commune}." if citizen.commune else ""
    return state + where
