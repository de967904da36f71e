"""Which messages the old-address handler takes, and what it answers (no model needed)."""

from __future__ import annotations

import pytest

from actions.content import content
from bot.features.old_address import answer, reading
from bot.nlu.text import fold


def replied(text: str) -> str:
    asked = reading.read(text)
    assert asked is not None, text
    if asked.what == "office":
        return answer.office(asked.named, content().links).text
    return answer.where(asked.named).text


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "phường Vĩnh Hải cũ nay thuộc phường nào",
            "Phường Vĩnh Hải (Thành phố Nha Trang, tỉnh Khánh Hòa cũ) nay thuộc Phường Bắc "
            "Nha Trang (từ 1/7/2025).",
        ),
        (
            "xã Cam Hải Đông giờ là xã gì",
            "Xã Cam Hải Đông (Huyện Cam Lâm, tỉnh Khánh Hòa cũ) nay thuộc Xã Cam Lâm "
            "(từ 1/7/2025).",
        ),
        (
            "huyện Diên Khánh còn không",
            "Huyện Diên Khánh (tỉnh Khánh Hòa cũ) không còn: cấp huyện đã bỏ từ 1/7/2025. Khu vực "
            "này nay thuộc 6 đơn vị: Xã Diên Khánh, Xã Diên Lạc, Xã Diên Điền, Xã Diên Thọ, Xã "
            "Suối Hiệp và Xã Diên Lâm.",
        ),
        (
            "thị trấn Cam Đức bây giờ thuộc đâu",
            "Thị trấn Cam Đức (Huyện Cam Lâm, tỉnh Khánh Hòa cũ) nay thuộc Xã Cam Lâm "
            "(từ 1/7/2025).",
        ),
    ],
)
def test_the_issue_questions_with_and_without_diacritics(question: str, expected: str) -> None:
    for text in (question, fold(question)):
        reply = replied(text)
        assert reply.startswith(expected), text
        assert "Nghị quyết 1667/NQ-UBTVQH15" in reply
        assert "Dữ liệu hành chính: VietMap" in reply


def test_a_ward_of_the_same_name_as_a_current_xa_is_told_apart() -> None:
    reply = replied("phường Vĩnh Hải cũ nay thuộc phường nào")
    assert "Lưu ý: Xã Vĩnh Hải hiện nay là một đơn vị khác (khu vực Ninh Hải cũ)." in reply
    both = replied("Vĩnh Hải nay thuộc đâu")
    assert "nay thuộc Phường Bắc Nha Trang" in both
    assert "Xã Vĩnh Hải (Huyện Ninh Hải, tỉnh Ninh Thuận cũ) nay thuộc Xã Vĩnh Hải" in both
    assert "Nghị quyết 202/2025/QH15" in both  # Ninh Thuận's merger


def test_split_units_and_cities_name_every_new_unit() -> None:
    split = replied("xã Cam Tân cũ giờ thuộc xã nào")
    assert "nay thuộc Xã Cam Hiệp, Xã Cam Lâm và Xã Suối Dầu (từ 1/7/2025)" in split
    city = replied("Phan Rang - Tháp Chàm còn không")
    assert city.startswith("Thành phố Phan Rang-Tháp Chàm (tỉnh Ninh Thuận cũ) không còn")
    for ward in ("Phan Rang", "Đông Hải", "Bảo An", "Ninh Chử", "Đô Vinh"):
        assert f"Phường {ward}" in city
    for old in ("Vĩnh Nguyên nay thuộc phường nào", "Vạn Giã sáp nhập vào đâu"):
        assert "(từ 1/7/2025)" in replied(old)


@pytest.mark.parametrize(
    "text",
    [
        "VNeID mức 2 đăng ký ở đâu",
        "chuyen doi so la gi",
        "UBND tỉnh Khánh Hòa",
        "Trung tâm phục vụ hành chính công tỉnh ở đâu",
        "Bộ thông tin và truyền thông còn không",
        "Nghị định 13/2023 còn hiệu lực không",
        "tỉnh Ninh Thuận còn không",
        "dịch vụ công trực tuyến toàn trình là gì",
        "hiện nay có bao nhiêu xã phường",
        "Diên Khánh hiện nay có wifi không",  # a current unit's name, nothing about its past
        "công nghệ tân tiến hiện nay là gì",  # an old ward's name as an everyday word
        "người ta mà nói chuyển đổi số là gì",  # "mà nói" is not Ma Nới
        "Anh dùng VNeID thế nào",
        "thành phố thông minh là gì",
        # A pasted notice is for the NLU and the scam check, not an office question.
        "UBND phường Nha Trang thông báo: ông/bà có khoản phạt chưa nộp, vui lòng chuyển khoản "
        "ngay vào số tài khoản dưới đây để tránh bị cưỡng chế",
    ],
)
def test_ordinary_questions_are_left_to_the_nlu(text: str) -> None:
    assert reading.read(text) is None


def test_the_office_question_gives_where_to_look_and_no_address() -> None:
    links = content().links
    reply = replied("bộ phận một cửa xã Cam Lâm ở đâu")
    assert "Mình chưa có địa chỉ chính thức" in reply and "Xã Cam Lâm" in reply
    for link in ("province_hcc", "province_portal", "dvc_portal"):
        assert links[link] in reply
    old = replied("địa chỉ UBND phường Vĩnh Hải")
    assert old.startswith("Phường Vĩnh Hải (Thành phố Nha Trang, tỉnh Khánh Hòa cũ) nay thuộc")
    assert "Trung tâm Phục vụ hành chính công (bộ phận một cửa) Phường Bắc Nha Trang" in old
    assert reading.read("dia chi ubnd xa cam hai dong") is not None
