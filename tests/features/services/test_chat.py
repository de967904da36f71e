"""The guide to public services in the web chat, on the real model: a named service gets its
card with a link to the official page, a name that means several gets them as buttons, and a
button gets the card."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.fakes.channels import web_ask as ask
from tests.fakes.channels import web_text as text_of


def buttons_of(replies: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [b for r in replies for b in r["buttons"]]


async def test_a_named_service_unaccented_gets_its_card_with_fee_source_and_link(
    client: TestClient,
) -> None:
    replies = await ask(client, "dang ky thuong tru truc tuyen", "svc-1")
    text = text_of(replies)
    assert "Đăng ký thường trú" in text
    assert "10.000đ nộp trực tuyến" in text  # the fee the catalogue sources
    assert "Nguồn:" in text and "thông tin tính đến" in text
    links = [b for b in buttons_of(replies) if b.get("url")]
    assert links == [{"title": "Mở trang dịch vụ", "url": "https://dichvucong.gov.vn"}]


async def test_an_abbreviation_in_a_question_finds_the_service(client: TestClient) -> None:
    text = text_of(await ask(client, "cho e hoi lam ltp online o dau a", "svc-2"))
    assert "lý lịch tư pháp" in text.lower()


async def test_an_ambiguous_name_offers_its_services_and_a_tap_gets_the_card(
    client: TestClient,
) -> None:
    replies = await ask(client, "cho mình hỏi về thẻ bhyt với", "svc-3")
    offered = [b for b in buttons_of(replies) if b.get("payload", "").startswith("/dich_vu:")]
    assert len(offered) == 3
    assert "Bạn hỏi thủ tục nào" in text_of(replies)
    card = await ask(client, offered[0]["payload"], "svc-3")
    assert offered[0]["title"] in text_of(card)
    assert "Nguồn:" in text_of(card)


async def test_a_fee_question_gets_the_card_with_its_sourced_fee(client: TestClient) -> None:
    text = text_of(await ask(client, "lệ phí cấp căn cước bao nhiêu", "svc-6"))
    assert "căn cước" in text.lower() and "Lệ phí:" in text and "Nguồn:" in text


async def test_a_service_button_of_a_removed_service_gets_choices_not_an_error(
    client: TestClient,
) -> None:
    replies = await ask(client, "/dich_vu:khong_con_nua", "svc-4")
    assert "Mình chưa rõ bạn hỏi thủ tục nào" in text_of(replies)
    assert buttons_of(replies)


async def test_a_scam_that_names_a_service_still_gets_the_scam_answer(client: TestClient) -> None:
    text = text_of(
        await ask(
            client,
            "có người gọi xưng công an bảo cập nhật căn cước "
            "rồi chuyển tiền vào tài khoản an toàn",
            "svc-5",
        )
    )
    assert "LỪA ĐẢO" in text or "ĐÁNG NGỜ" in text
