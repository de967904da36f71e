"""Staff replying natively (page inbox, OA console): the assistant leaves that citizen to them for
a while, then answers again; its own echoes never pause it. Whole app on SQLite, fake platforms
on loopback."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.channels.base import Kind
from bot.channels.facebook.adapter import FacebookAdapter
from bot.engine.runner import AssistantRunner
from bot.runtime.app import create_app
from tests.fakes.channels import (
    OA_ID,
    PAGE_ID,
    Channels,
    channel_settings,
    fb_envelope,
    fb_text,
    zalo_event,
)
from tests.fakes.platforms import FakeGraph, FakeZalo
from tests.fakes.server import served

OUR_APP = "1122334455"
PAGE_INBOX_APP = "263902037430900"  # Meta's page inbox
QUIET_S = 1.5  # long enough for a wrong answer to reach the fake platform


async def _channels(
    aiohttp_client: Any,
    tmp_path: Path,
    runner: AssistantRunner,
    graph: FakeGraph,
    zalo: FakeZalo,
    pause_min: str,
) -> Channels:
    settings = channel_settings(
        tmp_path, graph, zalo, FACEBOOK_APP_ID=OUR_APP, STAFF_PAUSE_MIN=pause_min
    )
    client = await served(aiohttp_client, create_app(settings, runner=runner))
    return Channels(client, settings, graph, zalo)


@pytest.fixture
async def short(
    aiohttp_client: Any, tmp_path: Path, runner: AssistantRunner, graph: FakeGraph, zalo: FakeZalo
) -> Channels:
    """A pause of 4 seconds."""
    return await _channels(aiohttp_client, tmp_path, runner, graph, zalo, "0.0667")


@pytest.fixture
async def long(
    aiohttp_client: Any, tmp_path: Path, runner: AssistantRunner, graph: FakeGraph, zalo: FakeZalo
) -> Channels:
    """The default pause (30 minutes): whatever pauses stays paused for the test."""
    return await _channels(aiohttp_client, tmp_path, runner, graph, zalo, "30")


def fb_echo(psid: str, mid: str, app_id: str) -> dict[str, Any]:
    return fb_envelope(
        {
            "sender": {"id": PAGE_ID},
            "recipient": {"id": psid},
            "timestamp": 1718000000200,
            "message": {"mid": mid, "is_echo": True, "app_id": int(app_id), "text": "Chào anh"},
        }
    )


def oa_send(user_id: str, msg_id: str) -> dict[str, Any]:
    event = zalo_event("oa_send_text", OA_ID, msg_id, text="Chào anh")
    event["recipient"] = {"id": user_id}
    return event


async def until(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not reached in time"
        await asyncio.sleep(0.05)


def held(channels: Channels) -> int:
    return channels.count("inbox", "status = 'held'")


def zalo_texts_to(channels: Channels, user_id: str) -> list[str]:
    return [
        r.body["message"]["text"]
        for r in channels.zalo.sent(FakeZalo.SEND)
        if r.body["recipient"]["user_id"] == user_id
    ]


async def test_page_inbox_reply_pauses_the_assistant_then_it_answers_again(
    short: Channels,
) -> None:
    short.consented("facebook", "5001")
    assert (await short.post_facebook(fb_echo("5001", "m_staff1", PAGE_INBOX_APP))).status == 200
    paused_at = time.monotonic()
    assert (await short.post_facebook(fb_text("5001", "xin chao", "m_c1"))).status == 200
    await until(lambda: held(short) == 1)
    await asyncio.sleep(QUIET_S)
    assert short.graph.messages() == []  # not a word, not even a typing indicator's message
    assert short.count("inbox", "kind = 'staff_reply'") == 1
    # After the pause the assistant answers again.
    await asyncio.sleep(max(0.0, paused_at + 4.5 - time.monotonic()))
    assert (await short.post_facebook(fb_text("5001", "xin chao", "m_c2"))).status == 200
    sent = await short.graph.wait_messages_to("5001", 1)
    assert sent[0].body["message"]["text"].startswith("Xin chào!")
    assert held(short) == 1


async def test_our_own_echo_does_not_pause(long: Channels) -> None:
    long.consented("facebook", "5002")
    assert (await long.post_facebook(fb_echo("5002", "m_own1", OUR_APP))).status == 200
    assert (await long.post_facebook(fb_text("5002", "xin chao", "m_c3"))).status == 200
    sent = await long.graph.wait_messages_to("5002", 1)
    assert sent[0].body["message"]["text"].startswith("Xin chào!")
    assert held(long) == 0
    assert long.count("inbox", "kind = 'staff_reply'") == 0


async def test_other_citizens_are_still_answered(long: Channels) -> None:
    long.consented("facebook", "5003", "5004")
    assert (await long.post_facebook(fb_echo("5003", "m_staff2", PAGE_INBOX_APP))).status == 200
    assert (await long.post_facebook(fb_text("5003", "xin chao", "m_c4"))).status == 200
    assert (await long.post_facebook(fb_text("5004", "xin chao", "m_c5"))).status == 200
    await long.graph.wait_messages_to("5004", 1)
    await until(lambda: held(long) == 1)
    await asyncio.sleep(QUIET_S)
    assert {r.body["recipient"]["id"] for r in long.graph.messages()} == {"5004"}


async def test_zalo_console_reply_pauses_but_our_own_echo_does_not(long: Channels) -> None:
    long.consented("zalo", "7001", "7002")
    # Our answer, and then its echo (the id Zalo gave it): still ours, no pause.
    assert (
        await long.post_zalo(zalo_event("user_send_text", "7002", "z_in1", text="xin chao"))
    ).status == 200
    await until(lambda: len(zalo_texts_to(long, "7002")) >= 1)
    await until(lambda: long.count("outbox", "platform_message_id IS NOT NULL") >= 1)
    ours = long.rows("SELECT platform_message_id FROM outbox WHERE platform = 'zalo' LIMIT 1")
    assert (await long.post_zalo(oa_send("7002", ours[0][0]))).status == 200
    answered = len(zalo_texts_to(long, "7002"))
    assert (
        await long.post_zalo(zalo_event("user_send_text", "7002", "z_in2", text="cam on"))
    ).status == 200
    await until(lambda: len(zalo_texts_to(long, "7002")) > answered)
    # A message the OA console sent (an id we never had): the assistant stays quiet.
    assert (await long.post_zalo(oa_send("7001", "z_console_1"))).status == 200
    assert (
        await long.post_zalo(zalo_event("user_send_text", "7001", "z_in3", text="xin chao"))
    ).status == 200
    await until(lambda: held(long) == 1)
    await asyncio.sleep(QUIET_S)
    assert zalo_texts_to(long, "7001") == []
    assert long.count("inbox", "kind = 'staff_reply'") == 1


async def test_standby_pauses(long: Channels) -> None:
    long.consented("facebook", "5005")
    standby = {
        "object": "page",
        "entry": [
            {
                "id": PAGE_ID,
                "time": 1718000000500,
                "standby": [
                    {
                        "sender": {"id": "5005"},
                        "recipient": {"id": PAGE_ID},
                        "timestamp": 1718000000100,
                        "message": {"mid": "m_sb1", "text": "cho hoi"},
                    }
                ],
            }
        ],
    }
    assert (await long.post_facebook(standby)).status == 200
    assert (await long.post_facebook(fb_text("5005", "xin chao", "m_c6"))).status == 200
    await until(lambda: held(long) == 1)
    await asyncio.sleep(QUIET_S)
    assert long.graph.messages() == []


async def test_handover_away_pauses_and_passing_back_resumes(long: Channels) -> None:
    long.consented("facebook", "5006")

    def control(owner: str) -> dict[str, Any]:
        return fb_envelope(
            {
                "sender": {"id": "5006"},
                "recipient": {"id": PAGE_ID},
                "timestamp": 1718000000300,
                "pass_thread_control": {"new_owner_app_id": owner, "metadata": "x"},
            }
        )

    assert (await long.post_facebook(control(PAGE_INBOX_APP))).status == 200
    assert (await long.post_facebook(fb_text("5006", "xin chao", "m_c7"))).status == 200
    await until(lambda: held(long) == 1)
    await asyncio.sleep(QUIET_S)
    assert long.graph.messages() == []
    assert (await long.post_facebook(control(OUR_APP))).status == 200
    assert (await long.post_facebook(fb_text("5006", "xin chao", "m_c8"))).status == 200
    sent = await long.graph.wait_messages_to("5006", 1)
    assert sent[0].body["message"]["text"].startswith("Xin chào!")


def _parsed(app_id: str, *events: dict[str, Any]) -> list[Kind]:
    raw = json.dumps(fb_envelope(*events)).encode()
    return [event.kind for event in FacebookAdapter("secret", app_id).parse(raw)]


def test_echoes_are_ours_while_the_app_id_is_unset() -> None:
    echo = fb_echo("5010", "m_e", PAGE_INBOX_APP)["entry"][0]["messaging"][0]
    assert _parsed("", echo) == [Kind.ECHO]
    assert _parsed(OUR_APP, echo) == [Kind.STAFF_REPLY]


def test_handover_events_say_where_the_thread_is() -> None:
    def event(key: str, **control: str) -> dict[str, Any]:
        return {"sender": {"id": "5011"}, "recipient": {"id": PAGE_ID}, key: control}

    taken = event("take_thread_control", previous_owner_app_id=OUR_APP)
    passed_away = event("pass_thread_control", new_owner_app_id=PAGE_INBOX_APP)
    passed_back = event("pass_thread_control", new_owner_app_id=OUR_APP)
    assert _parsed(OUR_APP, taken, passed_away, passed_back) == [
        Kind.THREAD_AWAY,
        Kind.THREAD_AWAY,
        Kind.THREAD_BACK,
    ]
    assert _parsed("", taken, passed_back) == [Kind.IGNORED, Kind.IGNORED]
