"""Zalo Official Account: webhook verification and parsing, reply rendering, API errors.

Signature: `X-ZEvent-Signature: mac=` + SHA-256(app_id + raw body + timestamp + OA secret key),
where the timestamp is the body's own `timestamp` field (empty for a body that cannot be read,
which is then kept as a dead letter). Ids are kept as strings (they exceed 2^53). Receipts and
`oa_send_*` echoes are events, never bot turns; an echo is a staff reply unless its message id
is one the assistant sent (checked at intake, bot/pipeline/inbox.py). The signed timestamp also
bounds replays: an event older than the replay window (or ahead of our clock) is not a fresh
delivery.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from bot.channels.base import (
    ChannelAdapter,
    InboundEvent,
    Kind,
    PayloadError,
    SendResult,
    load_json_object,
)
from bot.channels.text import split_text
from bot.channels.zalo.signing import SIGNATURE_HEADER, verify_zalo
from bot.core.replies import Reply

PLATFORM = "zalo"
TEXT_LIMIT = 2000
BUTTON_LIMIT = 5
BUTTON_TITLE_LIMIT = 100
# Longer than Zalo's retries of an unacknowledged event (hours, by its accounts), so a delivery
# retried after an outage is still answered; inside it, replays are stopped by msg_id dedupe.
DEFAULT_REPLAY_WINDOW_S = 24 * 3600.0
# Our clock and Zalo's may disagree a little; an event further ahead than this is forged.
FUTURE_SKEW_S = 600.0

MEDIA_EVENTS = {
    "user_send_image": "image",
    "user_send_gif": "gif",
    "user_send_sticker": "sticker",
    "user_send_audio": "audio",
    "user_send_video": "video",
    "user_send_file": "file",
    "user_send_link": "link",
    "user_send_location": "location",
    "user_send_business_card": "business_card",
}
RECEIPT_EVENTS = {"user_received_message": Kind.DELIVERY, "user_seen_message": Kind.READ}
# Zalo OA API error codes (Zalo OA API reference): token, rate limit, permanent.
TOKEN_ERRORS = frozenset({-216, -220})
RATE_LIMIT_ERRORS = frozenset({-32})
PERMANENT_ERRORS = frozenset({-230, -232, -213, -217, -244, -227, -218, -211, -201, -240, -100})


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _signed_timestamp(raw: bytes) -> str:
    """The body's timestamp as Zalo signed it: read raw, before storage cleaning replaces NUL."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return ""  # unreadable: signed without one, and dead-lettered if genuine
    return _str(body.get("timestamp")) if isinstance(body, dict) else ""


class ZaloAdapter(ChannelAdapter):
    platform = PLATFORM
    signature_header = SIGNATURE_HEADER

    def __init__(
        self, app_id: str, oa_secret_key: str, replay_window_s: float = DEFAULT_REPLAY_WINDOW_S
    ) -> None:
        self._app_id = app_id
        self._oa_secret_key = oa_secret_key
        self._replay_window_ms = int(replay_window_s * 1000)

    def verify(self, headers: Mapping[str, str], raw: bytes) -> bool:
        try:
            header = headers.get(SIGNATURE_HEADER)
            if not header:
                return False
            # The signed string includes the body's own timestamp, so it has to be read first;
            # nothing else of the body is trusted (or stored) before the check passes.
            timestamp = _signed_timestamp(raw)
            return verify_zalo(self._app_id, self._oa_secret_key, raw, timestamp, header)
        except Exception:  # a verifier never raises: anything odd is simply "not signed"
            return False

    def parse(self, raw: bytes) -> list[InboundEvent]:
        body = load_json_object(raw)
        if not isinstance(body.get("event_name"), str):
            raise PayloadError("no event_name")
        return [_parse_event(body)]

    def outside_window(self, event: InboundEvent, now_ms: int) -> bool:
        # A missing or unreadable timestamp reads as 0: far outside any window.
        age_ms = now_ms - event.timestamp_ms
        return age_ms > self._replay_window_ms or age_ms < -FUTURE_SKEW_S * 1000

    def render(self, replies: list[Reply]) -> list[dict[str, Any]]:
        bodies: list[dict[str, Any]] = []
        for reply in replies:
            chunks = split_text(reply.text, TEXT_LIMIT) or [""]
            for i, chunk in enumerate(chunks):
                message: dict[str, Any] = {"text": chunk}
                if i == len(chunks) - 1 and reply.buttons:
                    # `oa.query.hide` makes the Zalo client send the payload back as a user
                    # message without showing it in the chat (`.show` would print
                    # "/consent_accept" as the citizen's own words).
                    message["attachment"] = {
                        "type": "template",
                        "payload": {"buttons": [_button(b) for b in reply.buttons[:BUTTON_LIMIT]]},
                    }
                if message["text"]:
                    bodies.append({"message": message})
        return bodies


def _button(button: dict[str, str]) -> dict[str, Any]:
    title = button["title"][:BUTTON_TITLE_LIMIT]
    if button.get("url"):
        # Opens the official page in Zalo's browser.
        return {"title": title, "type": "oa.open.url", "payload": {"url": button["url"]}}
    return {
        "title": title,
        "type": "oa.query.hide",
        "payload": (button["payload"] or button["title"])[:1000],
    }


def _hash_id(body: dict[str, Any]) -> str:
    return "h:" + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:40]


def _timestamp(body: dict[str, Any]) -> int:
    try:
        return int(_str(body.get("timestamp")) or 0)
    except ValueError:
        return 0


def _object(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key)
    return value if isinstance(value, dict) else {}


def _parse_event(body: dict[str, Any]) -> InboundEvent:
    name = body["event_name"]
    sender, recipient = _object(body, "sender"), _object(body, "recipient")
    message = _object(body, "message")
    msg_id = _str(message.get("msg_id")) or _hash_id(body)
    common: dict[str, Any] = {"platform": PLATFORM, "timestamp_ms": _timestamp(body)}
    if name in {"follow", "unfollow"}:
        return InboundEvent(
            kind=Kind.FOLLOW if name == "follow" else Kind.UNFOLLOW,
            # A hash, not the follower's id: raw ids live only in `recipients`.
            event_id=f"{name}:{_hash_id(body)}",
            page_id=_str(body.get("oa_id")),
            user_id=_str(_object(body, "follower").get("id")),
            **common,
        )
    # Echoes and receipts come from the OA side: the user is the recipient.
    oa_side = {"page_id": _str(sender.get("id")), "user_id": _str(recipient.get("id")), **common}
    if name.startswith("oa_send_"):
        return InboundEvent(kind=Kind.STAFF_REPLY, event_id=msg_id, **oa_side)
    if name in RECEIPT_EVENTS:
        ids = message.get("msg_ids") or ([message["msg_id"]] if message.get("msg_id") else [])
        return InboundEvent(
            kind=RECEIPT_EVENTS[name],
            event_id=_hash_id(body),
            message_ids=tuple(_str(i) for i in ids) if isinstance(ids, list) else (),
            **oa_side,
        )
    user_side = {"page_id": _str(recipient.get("id")), "user_id": _str(sender.get("id")), **common}
    if name == "user_send_text":
        text = message.get("text")
        return InboundEvent(
            kind=Kind.TEXT,
            event_id=msg_id,
            text=text if isinstance(text, str) else "",
            **user_side,
        )
    if name in MEDIA_EVENTS:
        return _media_event(MEDIA_EVENTS[name], message, msg_id, user_side)
    return InboundEvent(kind=Kind.IGNORED, event_id=msg_id, **user_side)


def _media_event(
    media: str, message: dict[str, Any], msg_id: str, user_side: dict[str, Any]
) -> InboundEvent:
    attachments = message.get("attachments")
    first = attachments[0] if isinstance(attachments, list) and attachments else {}
    payload = first.get("payload") if isinstance(first, dict) else None
    url = payload.get("url") if isinstance(payload, dict) else None
    text = message.get("text")
    if media == "link" and _str(url):
        # A shared link is read like a pasted one: the scam check looks at its address.
        shared = " ".join(p for p in (text if isinstance(text, str) else "", _str(url)) if p)
        return InboundEvent(kind=Kind.TEXT, event_id=msg_id, text=shared, **user_side)
    return InboundEvent(
        kind=Kind.ATTACHMENT,
        event_id=msg_id,
        attachment_type=media,
        attachment_url=_str(url) or None,
        text=text if isinstance(text, str) else None,
        **user_side,
    )


def classify_response(status: int, body: Any) -> SendResult:
    """Zalo answers errors with HTTP 200 and `error != 0`: always read the body."""
    if status >= 500 or status == 429:
        return SendResult(ok=False, retryable=True, error=f"zalo http {status}")
    if not isinstance(body, dict):
        return SendResult(ok=False, retryable=status >= 500, error=f"zalo http {status}, no JSON")
    code = body.get("error")
    try:
        code = int(code) if code is not None else None
    except (TypeError, ValueError):
        code = None
    if code == 0:
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        assert isinstance(data, dict)
        return SendResult(ok=True, message_id=_str(data.get("message_id")) or None)
    described = f"zalo error {code}"
    if code in TOKEN_ERRORS:
        return SendResult(ok=False, token_invalid=True, error=described)
    if code in RATE_LIMIT_ERRORS:
        return SendResult(ok=False, retryable=True, retry_after_s=60.0, error=described)
    if code in PERMANENT_ERRORS or status < 500:
        return SendResult(ok=False, error=described)
    return SendResult(ok=False, retryable=True, error=described)
