"""Consent on first contact, the no-consent mode, the optional commune and ratings, through the
web chat on the real model and database."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from bot.db.migrate import upgrade
from bot.db.writer import BatchWriter
from bot.features.data_rights.erasure import forget_sessions
from bot.settings import Settings
from bot.web.edge import ref_for
from tests.fakes.channels import web_sender

NOTICE = "mình xin lưu câu hỏi của bạn"


def db(settings: Settings) -> Path:
    return Path(settings.database_url.split("///", 1)[1])


def rows(settings: Settings, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db(settings)) as conn:
        return conn.execute(sql, args).fetchall()


async def ask(client: TestClient, message: str, sender: str) -> list[dict[str, Any]]:
    resp = await client.post(
        "/webhooks/web", json={"sender": web_sender(client.app, sender), "message": message}
    )
    assert resp.status == 200, await resp.text()
    return list((await resp.json())["replies"])


def payloads(reply: dict[str, Any]) -> list[str]:
    return [b["payload"] for b in reply["buttons"]]


async def test_nothing_personal_is_stored_before_consent_then_masked_text_after(
    client: TestClient, settings: Settings
) -> None:
    sender = "consent-yes"
    replies = await ask(client, "cdso la j z ad, sdt minh 0912345678", sender)
    assert "Chuyển đổi số là" in replies[0]["text"]  # the question is answered first
    assert NOTICE in replies[-1]["text"]
    assert "365 ngày" in replies[-1]["text"]
    assert payloads(replies[-1]) == ["/consent_accept", "/consent_decline"]
    stored = rows(settings, "SELECT direction, user_ref, text, topic FROM messages")
    assert stored and all(ref is None and text is None for _, ref, text, _ in stored)
    assert {d for d, *_ in stored} == {"in", "out"}

    accepted = await ask(client, "/consent_accept", sender)
    assert "Cảm ơn bạn" in accepted[0]["text"]
    assert payloads(accepted[0]) == ["/commune_choose", "/commune_skip"]

    await ask(client, "so cccd 079912345678 dang ky vneid muc 2 o dau", sender)
    ref = ref_for(client.app, "web", "web", sender)
    mine = rows(
        settings,
        "SELECT direction, text, topic, conversation_id FROM messages WHERE user_ref = ?"
        " ORDER BY id",
        ref,
    )
    questions = [text for direction, text, *_ in mine if direction == "in"]
    assert questions[-1] == "so cccd [số định danh] dang ky vneid muc 2 o dau"
    assert any(d == "out" and "công an" in (t or "") for d, t, *_ in mine)
    assert len({conv for *_, conv in mine}) == 1  # one conversation
    dump = "\n".join(sqlite3.connect(db(settings)).iterdump())
    for secret in ("0912345678", "079912345678", sender):
        assert secret not in dump
    assert rows(settings, "SELECT consent FROM citizens") == [("granted",)]
    assert rows(settings, "SELECT action, channel, rows FROM audit_log") == [
        ("consent_granted", "web", 1)
    ]


async def test_a_citizen_who_declines_is_answered_and_only_counted(
    client: TestClient, settings: Settings
) -> None:
    sender = "consent-no"
    await ask(client, "xin chao", sender)
    declined = await ask(client, "không đồng ý", sender)
    assert "không lưu câu hỏi" in declined[0]["text"]
    answer = await ask(client, "lam sao kich hoat vneid", sender)
    assert "Kích hoạt tài khoản định danh điện tử" in answer[0]["text"]
    assert all(NOTICE not in r["text"] for r in answer)  # not asked again
    assert rows(settings, "SELECT COUNT(*) FROM messages WHERE user_ref IS NOT NULL") == [(0,)]
    assert rows(settings, "SELECT COUNT(*) FROM messages WHERE text IS NOT NULL") == [(0,)]
    assert rows(settings, "SELECT COUNT(*) FROM messages WHERE direction = 'in'") == [(3,)]
    assert rows(settings, "SELECT consent FROM citizens") == [("declined",)]
    # The no-consent citizen still counts in the figures, anonymously.
    stats_topics = rows(settings, "SELECT topic FROM messages WHERE direction = 'in'")
    assert ("vneid",) in stats_topics
    # Changing one's mind is possible.
    again = await ask(client, "đồng ý lưu dữ liệu", sender)
    assert "Cảm ơn bạn" in again[0]["text"]
    assert rows(settings, "SELECT consent FROM citizens") == [("granted",)]


async def test_withdrawing_consent_stops_recording(client: TestClient, settings: Settings) -> None:
    sender = "consent-withdraw"
    await ask(client, "/consent_accept", sender)
    withdrawn = await ask(client, "tôi muốn rút lại đồng ý", sender)
    assert "ngừng lưu dữ liệu mới" in withdrawn[0]["text"]
    assert payloads(withdrawn[0]) == ["/data_delete"]
    before = rows(settings, "SELECT COUNT(*) FROM messages WHERE user_ref IS NOT NULL")
    await ask(client, "vneid la gi", sender)
    assert rows(settings, "SELECT COUNT(*) FROM messages WHERE user_ref IS NOT NULL") == before
    assert rows(settings, "SELECT consent FROM citizens") == [("declined",)]


async def test_commune_is_chosen_by_typing_or_buttons_and_never_required(
    client: TestClient, settings: Settings
) -> None:
    sender = "commune-user"
    await ask(client, "/consent_accept", sender)
    ask_commune = await ask(client, "/commune_choose", sender)
    area_buttons = payloads(ask_commune[0])
    assert len(area_buttons) == 12 and area_buttons[-1] == "/commune_areas_more"
    saved = await ask(client, "xa cam lam", sender)  # no diacritics, with "xã"
    assert "Đã ghi nhận: Xã Cam Lâm" in saved[0]["text"]
    assert rows(settings, "SELECT commune FROM citizens") == [("Cam Lâm",)]

    await ask(client, "đổi xã", sender)
    units = await ask(client, "/commune_area:Ninh Hòa", sender)
    assert len(units[0]["buttons"]) == 8  # the eight units made from former Ninh Hòa
    pick = next(b for b in units[0]["buttons"] if b["title"] == "Bắc Ninh Hòa")
    saved = await ask(client, pick["payload"], sender)
    assert "Xã Bắc Ninh Hòa" in saved[0]["text"]
    # A question instead of a commune: answered, and the assistant stops waiting.
    await ask(client, "/commune_choose", sender)
    answer = await ask(client, "vneid muc 2 dang ky o dau", sender)
    assert "công an" in answer[0]["text"]
    assert rows(settings, "SELECT commune, awaiting FROM citizens") == [("Bắc Ninh Hòa", None)]
    skipped = await ask(client, "/commune_skip", sender)
    assert "Không sao" in skipped[0]["text"]


async def test_content_answers_offer_rating_buttons_and_ratings_are_recorded(
    client: TestClient, settings: Settings
) -> None:
    sender = "rating-user"
    await ask(client, "/consent_accept", sender)
    answer = await ask(client, "chuyen doi so la gi", sender)
    assert payloads(answer[-1])[-2:] == ["/feedback_positive", "/feedback_negative"]
    greeting = await ask(client, "xin chao", sender)
    assert "/feedback_positive" not in payloads(greeting[-1])  # a greeting is not rated
    thanks = await ask(client, "/feedback_positive", sender)
    assert "Cảm ơn bạn đã đánh giá" in thanks[0]["text"]
    await ask(client, "vneid muc 2 dang ky o dau", sender)
    await ask(client, "/feedback_negative", sender)
    assert rows(settings, "SELECT topic, helpful FROM feedback ORDER BY id") == [
        ("dx_basics", 1),
        ("vneid", 0),
    ]


async def test_idle_conversation_state_of_non_consenting_citizens_is_dropped(
    settings: Settings,
) -> None:
    upgrade(settings.database_url)
    now = datetime(2026, 11, 26, 10, tzinfo=timezone.utc)
    with sqlite3.connect(db(settings)) as conn:
        conn.execute(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, timestamp REAL)"
        )
        for ref, consent, idle in (
            ("a", "declined", 2),
            ("b", "granted", 2),
            ("c", "pending", 0.1),
        ):
            conn.execute(
                "INSERT INTO citizens (user_ref, channel, consent, created_at, updated_at)"
                " VALUES (?, 'zalo', ?, ?, ?)",
                (ref, consent, now, now),
            )
            when = (now - timedelta(hours=idle)).timestamp()
            conn.executemany(
                "INSERT INTO events (sender_id, timestamp) VALUES (?, ?)",
                [(f"zalo:{ref}", when - 60), (f"zalo:{ref}", when)],
            )
    writer = BatchWriter(settings.database_url)
    removed = await forget_sessions(writer, timedelta(hours=1), now)
    await writer.stop()
    assert removed == 2
    # The declined citizen's idle session went; the consenting one's and the active one stay.
    assert rows(settings, "SELECT DISTINCT sender_id FROM events ORDER BY 1") == [
        ("zalo:b",),
        ("zalo:c",),
    ]


async def test_the_notice_also_follows_a_first_answer_from_the_features(
    client: TestClient, settings: Settings
) -> None:
    # Events, the quiz, the newsletter... answer from their own data; a first contact still
    # gets the notice after that answer.
    replies = await ask(client, "sắp tới có sự kiện gì", "first-feature")
    assert "sự kiện" in replies[0]["text"]
    assert NOTICE in replies[-1]["text"]


async def test_the_notice_follows_the_scam_check_prompt_on_first_contact(
    client: TestClient, settings: Settings
) -> None:
    replies = await ask(client, "kiem tra giup tin nhan lua dao", "first-scam")
    assert "dán" in replies[0]["text"]
    assert NOTICE in replies[-1]["text"]
