"""The scam check in the web chat, on the real model."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.fakes.channels import web_sender

SCAM = (
    "tin nay co phai lua dao khong: [VNeID] Tai khoan dinh danh cua ban se bi khoa trong 24h. "
    "Vui long cap nhat tai https://vneid-capnhat.xyz"
)


async def ask(client: TestClient, message: str, sender: str = "scam-user") -> list[dict[str, Any]]:
    resp = await client.post(
        "/webhooks/web", json={"sender": web_sender(client.app, sender), "message": message}
    )
    assert resp.status == 200
    return list((await resp.json())["replies"])


def text_of(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r["text"] for r in replies)


async def test_a_pasted_scam_gets_the_verdict_reasons_and_where_to_report(
    client: TestClient,
) -> None:
    answer = text_of(await ask(client, SCAM))
    assert "RẤT CÓ THỂ LÀ LỪA ĐẢO" in answer
    assert "vneid-capnhat.xyz" in answer  # the look-alike domain is named
    assert "hối thúc hoặc đe dọa" in answer
    assert "156 hoặc 5656" in answer and "tinnhiemmang.vn" in answer
    assert "Kiến nghị, phản ánh về ANTT" in answer


async def test_asking_first_then_pasting(client: TestClient) -> None:
    prompt = text_of(await ask(client, "kiem tra giup tin nhan lua dao", sender="two-step"))
    assert "dán" in prompt
    answer = text_of(
        await ask(
            client,
            "Chuc mung ban trung thuong xe SH, nop phi ho so 2 trieu de nhan thuong",
            sender="two-step",
        )
    )
    assert "lừa đảo" in answer.lower() or "ĐÁNG NGỜ" in answer
    assert "hứa trúng thưởng" in answer


async def test_a_harmless_message_is_rated_low_and_a_question_gets_the_usual_answer(
    client: TestClient,
) -> None:
    low = text_of(await ask(client, "link nay co an toan khong dichvucong.gov.vn", sender="h1"))
    assert "chưa thấy dấu hiệu lừa đảo rõ ràng" in low
    usual = text_of(await ask(client, "lam sao nhan biet lua dao qua mang", sender="h2"))
    assert "LỪA ĐẢO" not in usual and "ĐÁNG NGỜ" not in usual


async def test_scams_told_in_words_get_the_warning(client: TestClient) -> None:
    police = text_of(
        await ask(
            client,
            "có người gọi xưng là công an bảo tôi chuyển tiền, có phải lừa đảo không",
            sender="w1",
        )
    )
    assert "RẤT CÓ THỂ LÀ LỪA ĐẢO" in police
    assert "chưa thấy dấu hiệu" not in police
    prize = text_of(
        await ask(
            client,
            "Nhận được tin nhắn trúng thưởng xe máy, bấm link để nhận, có nên tin không?",
            sender="w2",
        )
    )
    assert "LỪA ĐẢO" in prize or "ĐÁNG NGỜ" in prize
    relative = text_of(
        await ask(
            client,
            "con trai tôi nhắn bằng số mới nói điện thoại hỏng, nhờ mẹ chuyển gấp 5 triệu",
            sender="w3",
        )
    )
    assert "LỪA ĐẢO" in relative or "ĐÁNG NGỜ" in relative


async def test_a_genuine_otp_sms_is_a_normal_notice_and_the_code_stays_private(
    client: TestClient,
) -> None:
    answer = text_of(
        await ask(
            client,
            "tin nay co phai lua dao khong: Ma OTP cua Quy khach la 482913. Khong chia se ma "
            "nay voi bat ky ai.",
            sender="otp",
        )
    )
    assert "thông báo bình thường" in answer
    assert "không bao giờ đọc hay gửi mã" in answer
    assert "LỪA ĐẢO" not in answer and "ĐÁNG NGỜ" not in answer
