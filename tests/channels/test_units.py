"""Small units of the channel layer: windows, rate limiting, text splitting, rendering,
Get started, outbox kinds and hooks."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from bot.channels.facebook.adapter import FacebookAdapter
from bot.channels.text import split_text
from bot.channels.windows import Window, window_state
from bot.channels.zalo.adapter import ZaloAdapter
from bot.core.replies import Reply
from bot.pipeline.dispatcher import Rendered, last_kind, turn_text
from bot.pipeline.hooks import OutboundHooks, SendHooks
from bot.pipeline.ratelimit import TokenBucket

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("platform", "age", "window", "messaging_type"),
    [
        ("facebook", timedelta(hours=1), Window.OPEN, "RESPONSE"),
        ("facebook", timedelta(hours=23, minutes=59), Window.OPEN, "RESPONSE"),
        ("facebook", timedelta(hours=25), Window.HUMAN_ONLY, "MESSAGE_TAG:HUMAN_AGENT"),
        ("facebook", timedelta(days=6, hours=23), Window.HUMAN_ONLY, "MESSAGE_TAG:HUMAN_AGENT"),
        ("facebook", timedelta(days=7, minutes=1), Window.CLOSED, None),
        ("zalo", timedelta(hours=47), Window.OPEN, "RESPONSE"),
        ("zalo", timedelta(hours=49), Window.PAID, "RESPONSE"),
        ("zalo", timedelta(days=8), Window.CLOSED, None),
    ],
)
def test_messaging_windows(
    platform: str, age: timedelta, window: Window, messaging_type: str | None
) -> None:
    state = window_state(platform, NOW - age, NOW)
    assert state.window is window
    assert state.messaging_type == messaging_type
    assert state.automated_allowed == (window is Window.OPEN)


def test_no_inbound_message_means_closed() -> None:
    assert window_state("facebook", None, NOW).window is Window.CLOSED


async def test_token_bucket_holds_the_rate_after_the_burst() -> None:
    bucket = TokenBucket(rate_per_s=50, burst=5)
    started = time.monotonic()
    for _ in range(30):
        await bucket.acquire()
    elapsed = time.monotonic() - started
    # 5 at once, then 25 at 50/s: at least 0.5 s.
    assert elapsed >= 0.45
    assert elapsed < 2.0


async def test_token_bucket_pause_silences_sends() -> None:
    bucket = TokenBucket(rate_per_s=1000, burst=10)
    bucket.pause(0.3)
    started = time.monotonic()
    await bucket.acquire()
    assert time.monotonic() - started >= 0.28


async def test_waiters_are_served_in_order() -> None:
    bucket = TokenBucket(rate_per_s=100, burst=1)
    order: list[int] = []

    async def take(i: int) -> None:
        await bucket.acquire()
        order.append(i)

    await asyncio.gather(*(take(i) for i in range(10)))
    assert order == list(range(10))


def test_split_prefers_sentence_ends_and_respects_the_limit() -> None:
    text = "Câu thứ nhất khá dài. " * 30 + "Câu cuối cùng!"
    pieces = split_text(text, 100)
    assert all(len(p) <= 100 for p in pieces)
    assert all(p.endswith((".", "!")) for p in pieces)
    assert " ".join(pieces).replace("  ", " ") == text.strip()


def test_split_cuts_a_sentence_without_end_on_a_space() -> None:
    pieces = split_text("từ " * 200, 50)
    assert all(len(p) <= 50 for p in pieces)
    assert all(not p.startswith(" ") and not p.endswith(" ") for p in pieces)


def test_facebook_render_limits_quick_replies_and_titles() -> None:
    buttons = tuple(
        {"title": f"Lựa chọn số {i} rất dài dài", "payload": f"/p{i}"} for i in range(20)
    )
    bodies = FacebookAdapter("s").render([Reply("x" * 4500, buttons)])
    assert len(bodies) == 3  # 4500 characters in pieces of at most 2000
    assert all(len(b["message"]["text"]) <= 2000 for b in bodies)
    assert "quick_replies" not in bodies[0]["message"]
    quick = bodies[-1]["message"]["quick_replies"]
    assert len(quick) == 13
    assert all(len(q["title"]) <= 20 for q in quick)


def test_zalo_render_puts_buttons_on_the_last_piece() -> None:
    buttons = ({"title": "Đăng ký mức 2", "payload": "/vneid_level2"},)
    bodies = ZaloAdapter("1", "s").render([Reply("a. " * 900, buttons)])
    assert all(len(b["message"]["text"]) <= 2000 for b in bodies)
    assert "attachment" in bodies[-1]["message"]
    assert all("attachment" not in b["message"] for b in bodies[:-1])
    button = bodies[-1]["message"]["attachment"]["payload"]["buttons"][0]
    assert button == {
        "title": "Đăng ký mức 2",
        "type": "oa.query.hide",
        "payload": "/vneid_level2",
    }


def test_get_started_is_the_welcome_inside_the_facebook_adapter() -> None:
    raw = (
        b'{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"2"},'
        b'"recipient":{"id":"1"},"timestamp":1,"postback":{"payload":"GET_STARTED"}}]}]}'
    )
    event = FacebookAdapter("s").parse(raw)[0]
    assert event.payload == "/greet"
    assert turn_text(event.kind.value, event.text, event.payload) == "/greet"


@dataclass(frozen=True)
class _Outcome:
    replies: list[Reply]
    topic: str = "greeting"
    citizen: None = None
    last_kind: str | None = None


def test_a_long_reply_has_its_text_recorded_once_and_only_the_last_body_has_the_kind() -> None:
    outcome = _Outcome([Reply("a. " * 900), Reply("đã xóa")], last_kind="erasure")
    rendered = Rendered(ZaloAdapter("1", "s"), outcome)
    assert len(rendered.bodies) == 3
    assert rendered.kinds == ["reply", "reply", "erasure"]
    # One record per message sent (the figures count them); the reply's text on its first part.
    assert rendered.texts == [outcome.replies[0].text, None, "đã xóa"]
    assert last_kind(_Outcome([])) == "reply"


async def test_outbound_hooks_run_by_the_kind_of_the_row() -> None:
    erased: list[str] = []

    async def subscribed(row: object) -> bool:
        return False

    async def erase(row: Any) -> None:
        erased.append(row.user_ref)

    hooks = OutboundHooks({"newsletter": SendHooks(subscribed, skip_reason="unsubscribed")})
    hooks.register("erasure", SendHooks(after_send=erase))
    with pytest.raises(ValueError, match="has hooks already"):
        hooks.register("erasure", SendHooks())
    row = SimpleNamespace(kind="newsletter", user_ref="u1")
    assert await hooks.skip_reason(row) == "unsubscribed"
    assert await hooks.skip_reason(SimpleNamespace(kind="reply", user_ref="u1")) is None
    await hooks.after_send(row)
    await hooks.after_send(SimpleNamespace(kind="erasure", user_ref="u2"))
    assert erased == ["u2"]
