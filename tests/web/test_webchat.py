"""The web chat round trip on the real trained model, through the real app and database."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from bot.runtime.app import create_app
from tests.conftest import ClientFactory
from tests.fakes.channels import web_sender
from tests.fakes.settings import make_settings


async def ask(client: TestClient, message: str, sender: str = "browser-1") -> list[dict]:
    signed = web_sender(client.app, sender)
    resp = await client.post("/webhooks/web", json={"sender": signed, "message": message})
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert isinstance(body["replies"], list)
    return body["replies"]


def all_text(replies: list[dict]) -> str:
    return "\n".join(r["text"] for r in replies)


async def test_unaccented_question_gets_the_dx_answer_with_source(client: TestClient) -> None:
    replies = await ask(client, "chuyen doi so la gi")
    text = all_text(replies)
    assert "Chuyển đổi số là" in text
    assert "chính phủ số, kinh tế số và xã hội số" in text
    assert "Nguồn: Quyết định 749/QĐ-TTg" in text


async def test_vneid_level2_answer_says_where_to_go(client: TestClient) -> None:
    replies = await ask(client, "VNeID mức 2 đăng ký ở đâu")
    text = all_text(replies)
    assert "công an xã/phường" in text
    assert "CCCD" in text
    assert "Nghị định 69/2024/NĐ-CP" in text


async def test_buttons_come_back_and_their_payload_answers(client: TestClient) -> None:
    replies = await ask(client, "VNeID mức 2 đăng ký ở đâu")
    buttons = [b for r in replies for b in r["buttons"]]
    titles = {b["title"]: b["payload"] for b in buttons}
    assert titles["Kích hoạt VNeID"] == "/vneid_activate"
    # Clicking a button sends its payload: the activation steps come back.
    text = all_text(await ask(client, titles["Kích hoạt VNeID"]))
    assert "Kích hoạt tài khoản định danh điện tử" in text
    assert "passcode 6 số" in text


async def test_out_of_scope_gets_a_polite_scope_note(client: TestClient) -> None:
    text = all_text(await ask(client, "giá vàng hôm nay bao nhiêu"))
    assert "ngoài phạm vi" in text


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"[]", "application/json", 400),
        (json.dumps({"message": "hi"}).encode(), "application/json", 400),
        (json.dumps({"sender": 5, "message": "hi"}).encode(), "application/json", 400),
        (json.dumps({"sender": "a b c", "message": "hi"}).encode(), "application/json", 401),
        (json.dumps({"sender": "ok", "message": "hi"}).encode(), "application/json", 401),
        (b"sender=a&message=b", "application/x-www-form-urlencoded", 415),
    ],
)
async def test_bad_requests_get_a_clear_error(
    client: TestClient, body: bytes, content_type: str, status: int
) -> None:
    resp = await client.post("/webhooks/web", data=body, headers={"Content-Type": content_type})
    assert resp.status == status
    assert (await resp.json())["error"]


async def test_huge_body_is_refused_with_413(client: TestClient) -> None:
    body = json.dumps({"sender": "x", "message": "a" * 300_000})
    resp = await client.post(
        "/webhooks/web", data=body, headers={"Content-Type": "application/json"}
    )
    assert resp.status == 413


async def test_long_paste_is_answered_and_says_it_was_cut(client: TestClient) -> None:
    paste = ("Tôi nhận được tin nhắn ngân hàng báo tài khoản bị khóa trong 24h. " * 120)[:6000]
    replies = await ask(client, paste)
    assert replies[0]["text"].startswith("Tin nhắn của bạn khá dài")
    assert len(replies) >= 2


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   ",
        "😀😀😀",
        "<b>xin chào</b>",
        "<script>alert(1)</script>",
        "https://example.com",
        "what is digital transformation?",
        "你好 VNeID 是什么",
        "Привет",
        "\u0000\u200b",
        "a" * 5000,
        "chuyển đổi số " * 400,
    ],
)
async def test_odd_input_still_gets_a_reply(client: TestClient, message: str) -> None:
    replies = await ask(client, message)
    assert replies and replies[0]["text"]


async def test_upset_emoji_gets_an_offer_of_a_person(client: TestClient) -> None:
    replies = await ask(client, "😡")
    payloads = [b["payload"] for r in replies for b in r["buttons"]]
    assert "/handoff_request" in payloads


async def test_thumbs_up_is_understood_as_ok(client: TestClient) -> None:
    replies = await ask(client, "👍")
    assert "Dạ vâng" in replies[0]["text"]


async def test_not_ready_answers_503_and_healthz_stays_up(
    aiohttp_client: ClientFactory, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, MODEL_PATH=str(tmp_path / "missing.tar.gz"))
    client = await aiohttp_client(create_app(settings))
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    assert ready.status == 503
    sender = web_sender(client.app, "a")
    resp = await client.post("/webhooks/web", json={"sender": sender, "message": "xin chào"})
    assert resp.status == 503
    assert resp.headers["Retry-After"]


async def test_readyz_is_200_with_model_and_database(client: TestClient) -> None:
    resp = await client.get("/readyz")
    assert resp.status == 200
    assert (await resp.json())["checks"] == {"model": True, "database": True}


async def test_chat_page_and_assets_are_served_without_cdn(client: TestClient) -> None:
    page = await client.get("/")
    html = await page.text()
    assert page.status == 200
    assert 'lang="vi"' in html and "Trợ lý chuyển đổi số" in html
    assert "http://" not in html and "https://" not in html  # nothing from a CDN
    js = await client.get("/static/chat.js")
    assert js.status == 200
    assert "/webhooks/web" in await js.text()


async def test_bad_message_from_a_real_sender_is_a_400(client: TestClient) -> None:
    sender = web_sender(client.app, "browser-1")
    resp = await client.post("/webhooks/web", json={"sender": sender, "message": 5})
    assert resp.status == 400
    assert (await resp.json())["error"]


async def test_page_keeps_its_id_for_the_tab_only_and_has_no_inline_script(
    client: TestClient,
) -> None:
    html = await (await client.get("/")).text()
    js = await (await client.get("/static/chat.js")).text()
    assert "localStorage.setItem" not in js and "sessionStorage.setItem" in js
    assert "/webhooks/web/session" in js
    assert "<script>" not in html and not re.search(r"\son[a-z]+=", html)
    assert "Cuộc trò chuyện mới" in html
