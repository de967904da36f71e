"""Masking before storage and pseudonymous user references."""

from __future__ import annotations

import hashlib
import unicodedata

import pytest

from bot.core.privacy import mask_text, resolve_pseudonym_key, user_ref


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("gọi cho mình 0912345678 nhé", "gọi cho mình [số điện thoại] nhé"),
        ("sdt +84 912 345 678", "sdt [số điện thoại]"),
        ("số 0339.035.656", "số [số điện thoại]"),
        ("cccd 079123456789 của tôi", "cccd [số định danh] của tôi"),
        ("stk 1903 6543 2101 1 techcombank", "stk [số tài khoản] techcombank"),
        ("thẻ 4111 1111 1111 1111", "thẻ [số tài khoản]"),
        ("stk 19032015 vietcombank", "stk [số tài khoản] vietcombank"),
        ("mã OTP là 123456", "mã OTP là [mã]"),
        ("otp: 8842", "otp: [mã]"),
        ("ma xac thuc 55443", "ma xac thuc [mã]"),
        ("email an.nguyen@gmail.com nha", "email [email] nha"),
        # Ordinary numbers stay: they carry meaning and identify nobody.
        ("nghị quyết 52 năm 2019", "nghị quyết 52 năm 2019"),
        ("ngày 10/10/2025", "ngày 10/10/2025"),
        ("mất 5 triệu", "mất 5 triệu"),
        ("VNeID mức 2", "VNeID mức 2"),
        ("gọi 113 hoặc 156", "gọi 113 hoặc 156"),
    ],
)
def test_mask_text(raw: str, masked: str) -> None:
    assert mask_text(raw) == masked


def test_user_ref_is_stable_keyed_and_not_a_plain_hash() -> None:
    key = b"k1"
    a = user_ref(key, "facebook", "page", "7392015648120394")
    assert a == user_ref(key, "facebook", "page", "7392015648120394")
    assert a != user_ref(key, "facebook", "other-page", "7392015648120394")
    assert a != user_ref(key, "zalo", "page", "7392015648120394")
    assert a != user_ref(b"k2", "facebook", "page", "7392015648120394")  # key rotation
    assert a not in hashlib.sha256(b"7392015648120394").hexdigest()
    assert "7392015648120394" not in a


def test_development_key_is_created_once_with_owner_only_permissions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = resolve_pseudonym_key("", tmp_path)
    assert resolve_pseudonym_key("", tmp_path) == first
    assert (tmp_path / "pseudonym.key").stat().st_mode & 0o777 == 0o600
    assert resolve_pseudonym_key("configured", tmp_path) == b"configured"


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        # Invisible characters inside a number do not hide it.
        ("sđt 0912\u200b345\u200c678", "sđt [số điện thoại]"),
        ("sđt 09\u200d12\u2060345\ufeff678", "sđt [số điện thoại]"),
        ("cccd 0791\u00ad23456789", "cccd [số định danh]"),
        # OTP digits written apart.
        ("ma OTP 1 2 3 4 5 6", "ma OTP [mã]"),
        ("mã xác thực: 123 456", "mã xác thực: [mã]"),
        ("OTP la 12-34-56", "OTP la [mã]"),
        # Passport numbers.
        ("hộ chiếu B1234567 nhé", "hộ chiếu [số hộ chiếu] nhé"),
        ("passport C12345678", "passport [số hộ chiếu]"),
        # The whole secret word, not only its digits.
        ("mat khau: Abc12345", "mat khau: [mật khẩu]"),
        ("mật khẩu là Abc12345 nhé", "mật khẩu là [mật khẩu] nhé"),
        (unicodedata.normalize("NFD", "mật khẩu là Abc12345"), "mật khẩu là [mật khẩu]"),
        ("password: hunter-two", "password: [mật khẩu]"),
        ("pass vneid Kh@nhHoa9", "pass vneid [mật khẩu]"),
        ("pass Kh@nhHoa9", "pass [mật khẩu]"),
        # Vietnam's country code in its usual spellings is a phone number.
        ("(+84) 912 345 678", "[số điện thoại]"),
        ("gọi (+84) 912 345 678 giúp", "gọi [số điện thoại] giúp"),
        ("+84 912345678", "[số điện thoại]"),
        ("+84-912-345-678", "[số điện thoại]"),
    ],
)
def test_mask_text_closes_the_gaps(raw: str, masked: str) -> None:
    assert mask_text(raw) == masked


@pytest.mark.parametrize(
    "ordinary",
    [
        "hạn chót 01/07/2025",
        "từ ngày 01.07.2025 đến 31-12-2025",
        "họp ngày 2025-07-01",
        "năm 2025 và năm 2030",
        "1",
        "đáp án 2",
        "mất 500.000 đồng",
        "lừa 50.000.000 đồng",
        "thiệt hại 1.500.000.000 đ",
        "84.000.000.000 VNĐ",
        "Nghị định 42/2022/NĐ-CP",
        "Nghị định 13/2023 về bảo vệ dữ liệu cá nhân",
        "Quyết định 749/QĐ-TTg",
        "mật khẩu là gì vậy",
        "quên mật khẩu VNeID thì làm sao",
        "pass lại 2 cái áo",
        "mk 20 tuổi",
        "ma trận số",
        "phí cấp mã số 150.000 đồng",
        "giai đoạn 2021-2025, năm học 2025 - 2026",
        "chien luoc chinh phu dien tu 2021 2025",
        'Dùng chức năng "Quên mật khẩu"/khôi phục tài khoản',
        "đổi mật khẩu (password) thường xuyên",
        "mã hồ sơ ngày 01.07.2025",
        "gia đình 👨\u200d👩\u200d👧",
    ],
)
def test_ordinary_text_is_left_alone(ordinary: str) -> None:
    assert mask_text(ordinary) == ordinary


@pytest.mark.parametrize(
    "text",
    [
        "Mã xác thực giao dịch của bạn là 482913",
        "Ma OTP cua Quy khach la 482913",
        "Your OTP code for VCB Digibank is 482913",
    ],
)
def test_a_bank_code_far_from_its_keyword_is_masked(text: str) -> None:
    assert "482913" not in mask_text(text)
