"""Golden vectors and every bad-signature variant, on the pure verifiers."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from bot.channels.facebook.adapter import FacebookAdapter
from bot.channels.facebook.signing import facebook_signature
from bot.channels.zalo.adapter import ZaloAdapter
from bot.channels.zalo.signing import verify_zalo, zalo_signature

# Meta signs the payload as it sends it: non-ASCII escaped as \uXXXX.
FB_RAW = (
    b'{"object":"page","entry":[{"id":"1","time":1,"messaging":[{"sender":{"id":"2"},'
    b'"recipient":{"id":"1"},"timestamp":1,"message":{"mid":"m_1",'
    b'"text":"chuy\\u1ec3n \\u0111\\u1ed5i s\\u1ed1 l\\u00e0 g\\u00ec"}}]}]}'
)
FB_SECRET = "app-secret-123"
# Computed independently of bot.channels.facebook.signing.
FB_EXPECTED = "sha256=" + hmac.new(FB_SECRET.encode(), FB_RAW, hashlib.sha256).hexdigest()


def test_facebook_golden_vector_with_escaped_vietnamese() -> None:
    assert facebook_signature(FB_SECRET, FB_RAW) == FB_EXPECTED
    adapter = FacebookAdapter(FB_SECRET)
    assert adapter.verify({"X-Hub-Signature-256": FB_EXPECTED}, FB_RAW)
    event = adapter.parse(FB_RAW)[0]
    assert event.text == "chuyển đổi số là gì"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "sha256=deadbeef",
        FB_EXPECTED.upper(),
        FB_EXPECTED.replace("sha256=", "sha1="),
        "sha1=" + hmac.new(FB_SECRET.encode(), FB_RAW, hashlib.sha1).hexdigest(),
        FB_EXPECTED[:-1],
        FB_EXPECTED + "0",
        "sha256=" + hmac.new(b"other-secret", FB_RAW, hashlib.sha256).hexdigest(),
        "sha256=" + hashlib.sha256(FB_RAW).hexdigest(),
        "sha256=\u00e9" + FB_EXPECTED[8:],
    ],
)
def test_facebook_bad_signatures_never_verify(header: str | None) -> None:
    headers = {} if header is None else {"X-Hub-Signature-256": header}
    assert not FacebookAdapter(FB_SECRET).verify(headers, FB_RAW)


def test_facebook_signature_is_over_the_raw_bytes_not_the_json() -> None:
    adapter = FacebookAdapter(FB_SECRET)
    reserialised = json.dumps(json.loads(FB_RAW), ensure_ascii=False).encode()
    flipped = FB_RAW.replace(b"m_1", b"m_2")
    for body in (reserialised, flipped, FB_RAW + b" "):
        assert not adapter.verify({"X-Hub-Signature-256": FB_EXPECTED}, body)


ZALO_APP_ID = "3608465248940903967"
ZALO_SECRET = "oa-secret-key"
ZALO_RAW = (
    b'{"app_id":"3608465248940903967","user_id_by_app":"552177279717587730",'
    b'"event_name":"user_send_text","sender":{"id":"2468458835296117922"},'
    b'"recipient":{"id":"388613280878808645"},"message":{"msg_id":"96d3","text":'
    b'"Xin ch\\u00e0o"},"timestamp":"1718000000123"}'
)
# Zalo's documented formula (Chatwoot's implementation): sha256(app_id + body + timestamp + key).
ZALO_EXPECTED = (
    "mac="
    + hashlib.sha256(
        (ZALO_APP_ID + ZALO_RAW.decode() + "1718000000123" + ZALO_SECRET).encode()
    ).hexdigest()
)


def test_zalo_golden_vector() -> None:
    assert zalo_signature(ZALO_APP_ID, ZALO_RAW, "1718000000123", ZALO_SECRET) == ZALO_EXPECTED
    adapter = ZaloAdapter(ZALO_APP_ID, ZALO_SECRET)
    assert adapter.verify({"X-ZEvent-Signature": ZALO_EXPECTED}, ZALO_RAW)
    assert adapter.parse(ZALO_RAW)[0].text == "Xin chào"


@pytest.mark.parametrize(
    ("app_id", "secret", "header"),
    [
        (ZALO_APP_ID, ZALO_SECRET, None),
        (ZALO_APP_ID, ZALO_SECRET, ZALO_EXPECTED[4:]),  # missing "mac="
        (ZALO_APP_ID, ZALO_SECRET, "mac=" + "0" * 64),
        ("1111", ZALO_SECRET, ZALO_EXPECTED),  # another app id
        (ZALO_APP_ID, "wrong-secret", ZALO_EXPECTED),
        (ZALO_APP_ID, "", ZALO_EXPECTED),
        (
            ZALO_APP_ID,
            ZALO_SECRET,
            "mac=" + hmac.new(ZALO_SECRET.encode(), ZALO_RAW, hashlib.sha256).hexdigest(),
        ),
    ],
)
def test_zalo_bad_signatures_never_verify(app_id: str, secret: str, header: str | None) -> None:
    headers = {} if header is None else {"X-ZEvent-Signature": header}
    assert not ZaloAdapter(app_id, secret).verify(headers, ZALO_RAW)


def test_zalo_body_changes_break_the_signature() -> None:
    adapter = ZaloAdapter(ZALO_APP_ID, ZALO_SECRET)
    for body in (ZALO_RAW.replace(b"96d3", b"96d4"), ZALO_RAW + b"\n", b"not json"):
        assert not adapter.verify({"X-ZEvent-Signature": ZALO_EXPECTED}, body)
    assert not verify_zalo(ZALO_APP_ID, ZALO_SECRET, ZALO_RAW, "1718000000124", ZALO_EXPECTED)
