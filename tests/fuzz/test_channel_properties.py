"""Property-based tests of the channels' trust boundary (reliability R19): signatures verify
exactly the body they were made for and never raise; parsing any JSON (or any bytes) gives
events or one clean PayloadError."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.base import InboundEvent, PayloadError
from bot.channels.facebook.adapter import FacebookAdapter
from bot.channels.facebook.signing import facebook_signature
from bot.channels.zalo.adapter import ZaloAdapter
from bot.channels.zalo.signing import zalo_signature
from tests.fuzz.budget import cases

FB_SECRET = "fb-app-secret"
ZALO_APP_ID, ZALO_SECRET = "3608465248940903967", "zalo-oa-secret"
facebook = FacebookAdapter(FB_SECRET)
zalo = ZaloAdapter(ZALO_APP_ID, ZALO_SECRET)

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=25,
)
# Bodies shaped like the platforms' own, with random holes and types: reach deeper code paths.
fb_events = st.fixed_dictionaries(
    {
        "sender": st.fixed_dictionaries({"id": st.text(max_size=20) | st.integers()}),
        "recipient": st.fixed_dictionaries({"id": st.text(max_size=20)}),
    },
    optional={
        "message": json_values,
        "postback": json_values,
        "delivery": json_values,
        "read": json_values,
        "timestamp": st.integers() | st.text(),
    },
)
fb_bodies = st.fixed_dictionaries(
    {
        "object": st.sampled_from(["page", "user", ""]) | st.text(max_size=5),
        "entry": st.lists(
            st.fixed_dictionaries(
                {"id": st.text(max_size=15)},
                optional={"messaging": st.lists(fb_events | json_values, max_size=3)},
            ),
            max_size=3,
        ),
    },
)
zalo_bodies = st.fixed_dictionaries(
    {
        "event_name": st.sampled_from(
            [
                "user_send_text",
                "follow",
                "unfollow",
                "user_send_image",
                "user_received_message",
                "oa_send_text",
            ]
        )
        | st.text(max_size=10)
    },
    optional={
        "sender": json_values,
        "recipient": json_values,
        "message": json_values,
        "follower": json_values,
        "timestamp": st.text(max_size=15) | st.integers(),
        "app_id": st.text(max_size=20),
        "oa_id": st.text(max_size=20),
    },
)

quick = settings(
    max_examples=cases(100), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _events_or_clean_error(adapter: Any, raw: bytes) -> None:
    try:
        events = adapter.parse(raw)
    except PayloadError:
        return
    assert isinstance(events, list)
    assert all(isinstance(e, InboundEvent) for e in events)


@quick
@given(st.binary(max_size=2000), st.integers(min_value=0), st.integers(min_value=0, max_value=255))
def test_facebook_signature_covers_every_byte(body: bytes, where: int, flip: int) -> None:
    header = facebook_signature(FB_SECRET, body)
    assert facebook.verify({"X-Hub-Signature-256": header}, body)
    if body:
        i = where % len(body)
        mutated = body[:i] + bytes([body[i] ^ (flip or 1)]) + body[i + 1 :]
        assert not facebook.verify({"X-Hub-Signature-256": header}, mutated)
    assert not facebook.verify({"X-Hub-Signature-256": facebook_signature("other", body)}, body)


@quick
@given(st.binary(max_size=500), st.text(max_size=100) | st.none())
def test_facebook_verifier_never_raises(body: bytes, header: str | None) -> None:
    headers = {} if header is None else {"X-Hub-Signature-256": header}
    assert facebook.verify(headers, body) in (True, False)


@quick
@given(zalo_bodies, st.integers(min_value=0), st.integers(min_value=1, max_value=255))
def test_zalo_signature_covers_every_byte(body: dict[str, Any], where: int, flip: int) -> None:
    raw = json.dumps(body).encode()
    stamp = body.get("timestamp")
    stamp = "" if stamp is None else str(stamp)
    header = zalo_signature(ZALO_APP_ID, raw, stamp, ZALO_SECRET)
    assert zalo.verify({"X-ZEvent-Signature": header}, raw)
    i = where % len(raw)
    mutated = raw[:i] + bytes([raw[i] ^ flip]) + raw[i + 1 :]
    assert not zalo.verify({"X-ZEvent-Signature": header}, mutated)


@quick
@given(st.binary(max_size=500), st.text(max_size=80) | st.none())
def test_zalo_verifier_never_raises(body: bytes, header: str | None) -> None:
    headers = {} if header is None else {"X-ZEvent-Signature": header}
    assert zalo.verify(headers, body) in (True, False)


@quick
@given(json_values | fb_bodies)
def test_any_json_parses_to_facebook_events_or_one_clean_error(body: Any) -> None:
    _events_or_clean_error(facebook, json.dumps(body).encode())


@quick
@given(json_values | zalo_bodies)
def test_any_json_parses_to_zalo_events_or_one_clean_error(body: Any) -> None:
    _events_or_clean_error(zalo, json.dumps(body).encode())


@quick
@given(st.binary(max_size=300))
def test_any_bytes_parse_or_fail_cleanly(raw: bytes) -> None:
    _events_or_clean_error(facebook, raw)
    _events_or_clean_error(zalo, raw)


def test_zalo_signature_over_a_timestamp_with_nul_verifies() -> None:
    # Found by the property above: storage cleaning must not change what was signed.
    raw = json.dumps({"event_name": "user_send_text", "timestamp": "\x00"}).encode()
    header = zalo_signature(ZALO_APP_ID, raw, "\x00", ZALO_SECRET)
    assert zalo.verify({"X-ZEvent-Signature": header}, raw)
