"""Masking before storage and pseudonymous user references."""

from __future__ import annotations

import hashlib

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
