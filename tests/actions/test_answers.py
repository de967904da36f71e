"""action_answer as a pure async unit (CollectingDispatcher + a tracker built from a dict)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionAnswer


def tracker_with(
    intent: str, confidence: float = 0.9, ranking: list[dict] | None = None
) -> Tracker:
    latest: dict[str, Any] = {
        "text": "…",
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": ranking or [{"name": intent, "confidence": confidence}],
        "entities": [],
    }
    return Tracker("u1", {}, latest, [], False, None, {}, "action_listen")


async def run(intent: str, **kwargs: Any) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    events = await ActionAnswer().run(dispatcher, tracker_with(intent, **kwargs), {})
    assert events == []
    return dispatcher.messages


async def test_answer_is_split_with_source_and_buttons_on_the_last_message() -> None:
    messages = await run("vneid_level2")
    assert len(messages) == 2
    assert messages[0]["buttons"] == []
    assert "Nguồn: Nghị định 69/2024/NĐ-CP" in messages[-1]["text"]
    # The date the facts were true follows the source (its format is the content loader's).
    assert "(thông tin tính đến " in messages[-1]["text"]
    assert "2024" in messages[-1]["text"].split("Nguồn:")[-1]
    assert {"title": "Kích hoạt VNeID", "payload": "/vneid_activate"} in messages[-1]["buttons"]


async def test_links_are_filled_from_the_content_file() -> None:
    text = " ".join(m["text"] for m in await run("scam_otp_bank"))
    assert "tinnhiemmang.vn/website-lua-dao" in text
    assert "0339035656" in text


async def test_two_close_intents_get_a_clarifying_question() -> None:
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "vneid_level1", "confidence": 0.38},
        {"name": "vneid_level2", "confidence": 0.33},
    ]
    messages = await run("nlu_fallback", confidence=0.4, ranking=ranking)
    assert len(messages) == 1
    assert "chọn giúp mình" in messages[0]["text"]
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/vneid_level1", "/vneid_level2"]


async def test_a_plain_fallback_offers_topics() -> None:
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "greet", "confidence": 0.12},
        {"name": "dx_day", "confidence": 0.05},
    ]
    messages = await run("nlu_fallback", confidence=0.3, ranking=ranking)
    assert "chưa hiểu" in messages[0]["text"]
    assert messages[0]["buttons"]


async def test_an_intent_without_answer_falls_back_instead_of_failing() -> None:
    messages = await run("intent_that_does_not_exist")
    assert "chưa hiểu" in messages[0]["text"]


async def test_no_answer_promises_a_feature_that_already_exists() -> None:
    """Issue 17: the quiz, the newsletter, the contest and data rights are live features."""
    for intent in ("quiz_start", "consent_withdraw", "newsletter_subscribe", "contest_writing"):
        text = " ".join(m["text"] for m in await run(intent))
        assert "chuẩn bị" not in text and "hoàn thiện" not in text, intent


async def test_the_privacy_notice_names_every_kind_of_data_kept() -> None:
    text = " ".join(m["text"] for m in await run("privacy_notice"))
    for kind in ("câu hỏi", "chủ đề", "thời gian", "kênh", "mã ẩn danh", "xã/phường"):
        assert kind in text, kind
    for kind in ("biệt danh", "tên liên hệ"):
        assert kind in text, kind


async def test_nha_trang_has_four_wards_and_levels_are_gone() -> None:
    text = " ".join(m["text"] for m in await run("gov_reorganisation"))
    assert "4 phường" in text and "Tây Nha Trang" in text
    dossiers = " ".join(m["text"] for m in await run("gov_online_dossiers"))
    assert "toàn trình" in dossiers and "mức độ 4" not in dossiers
