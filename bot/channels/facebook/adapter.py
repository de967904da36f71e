"""Facebook Messenger: webhook verification and parsing, reply rendering, Send API errors.

Signature: `X-Hub-Signature-256` HMAC-SHA256 over the raw body with the app secret (the legacy
SHA-1 header is not accepted). Every `entry[].messaging[]` event is parsed; echoes, deliveries,
reads and policy-enforcement notices are events too, but never bot turns. The "Get started"
button's postback is the welcome (`/greet`).

Staff replying natively: with our app id known, an echo sent by another app (the page inbox,
Business Suite) is a staff reply, and so is anything arriving as `standby` (another app owns the
thread); handover events say whether the thread left us or came back. Our own echoes, and every
echo while the app id is unset, are dropped as before.
"""

from __future__ import annotations

import hashlib
import json
import math
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
from bot.channels.facebook.signing import SIGNATURE_HEADER, verify_facebook
from bot.channels.text import split_text
from bot.core.replies import Reply

PLATFORM = "facebook"
TEXT_LIMIT = 2000
QUICK_REPLY_LIMIT = 13
QUICK_REPLY_TITLE_LIMIT = 20
# A button template (the only message that carries a link button): its text and buttons.
BUTTON_TEMPLATE_TEXT_LIMIT = 640
TEMPLATE_BUTTON_LIMIT = 3
BUTTON_TITLE_LIMIT = 20
LINK_LEAD = "Trang chính thức:"
GET_STARTED_PAYLOAD = "GET_STARTED"  # set on the page by bot/channels/facebook/profile.py
GREET = "/greet"  # what the assistant is given for "Get started"

# Graph API error codes (Messenger Send API reference): rate limits, token, window, recipient.
RATE_LIMIT_CODES = frozenset({4, 613, 32, 17})
TOKEN_CODES = frozenset({190})
OUTSIDE_WINDOW = (10, 2018278)
UNREACHABLE_CODES = frozenset({551, 2, 100})
# What Messenger's `policy-enforcement` webhook says it did to the page.
POLICY_ACTIONS = frozenset({"warning", "block", "unblock"})
HANDOVER_EVENTS = ("pass_thread_control", "take_thread_control")


class FacebookAdapter(ChannelAdapter):
    platform = PLATFORM
    signature_header = SIGNATURE_HEADER

    def __init__(self, app_secret: str, app_id: str = "") -> None:
        self._app_secret = app_secret
        self._app_id = app_id.strip()  # empty: every echo is ours (dropped)

    def verify(self, headers: Mapping[str, str], raw: bytes) -> bool:
        try:
            return verify_facebook(self._app_secret, raw, headers.get(SIGNATURE_HEADER))
        except Exception:  # a verifier never raises: anything odd is simply "not signed"
            return False

    def parse(self, raw: bytes) -> list[InboundEvent]:
        body = load_json_object(raw)
        if body.get("object") != "page":
            raise PayloadError("not a page webhook")
        entries = body.get("entry")
        if not isinstance(entries, list):
            raise PayloadError("no entry list")
        events: list[InboundEvent] = []
        for entry in entries:
            events += _entry_events(entry, self._app_id)
        return events

    def render(self, replies: list[Reply]) -> list[dict[str, Any]]:
        bodies: list[dict[str, Any]] = []
        for reply in replies:
            chunks = split_text(reply.text, TEXT_LIMIT) or [""]
            for i, chunk in enumerate(chunks):
                message: dict[str, Any] = {"text": chunk}
                last = i == len(chunks) - 1
                links = [b for b in reply.buttons if b.get("url")] if last else []
                taps = [b for b in reply.buttons if not b.get("url")] if last else []
                if links and len(chunk) <= BUTTON_TEMPLATE_TEXT_LIMIT:
                    # A link opens a page: only a button template carries one.
                    message = {"attachment": _link_template(chunk, links)}
                elif links:
                    bodies.append({"message": message})
                    message = {"attachment": _link_template(LINK_LEAD, links)}
                if taps:
                    message["quick_replies"] = [
                        {
                            "content_type": "text",
                            "title": _short(b["title"], QUICK_REPLY_TITLE_LIMIT),
                            "payload": b["payload"][:1000] or b["title"],
                        }
                        for b in taps[:QUICK_REPLY_LIMIT]
                    ]
                if message.get("text") or "attachment" in message or "quick_replies" in message:
                    bodies.append({"message": message})
        return bodies


def _link_template(text: str, links: list[dict[str, str]]) -> dict[str, Any]:
    buttons = [
        {"type": "web_url", "url": b["url"], "title": _short(b["title"], BUTTON_TITLE_LIMIT)}
        for b in links[:TEMPLATE_BUTTON_LIMIT]
    ]
    return {
        "type": "template",
        "payload": {"template_type": "button", "text": text, "buttons": buttons},
    }


def _short(title: str, limit: int) -> str:
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def _hash_id(item: Any) -> str:
    return "h:" + hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()[:40]


def _id(value: Any) -> str:
    # A missing or null id is no id (never the string "None"); blanks are no id either.
    return "" if value is None else str(value).strip()


def _ids(item: dict[str, Any]) -> tuple[str, str]:
    sender = item.get("sender") or {}
    recipient = item.get("recipient") or {}
    if not isinstance(sender, dict) or not isinstance(recipient, dict):
        raise PayloadError("sender/recipient are not objects")
    return _id(sender.get("id")), _id(recipient.get("id"))


def _event(
    item: dict[str, Any], kind: Kind, page_id: str, event_id: str, **fields: Any
) -> InboundEvent:
    sender, recipient = _ids(item)
    # For echoes the page is the sender; the user is the recipient.
    page_sent = _is_echo(item)
    user_id = recipient if page_sent else sender
    timestamp = item.get("timestamp")
    return InboundEvent(
        platform=PLATFORM,
        kind=kind,
        event_id=event_id,
        page_id=page_id or (sender if page_sent else recipient),
        user_id=user_id,
        timestamp_ms=_ms(timestamp) or 0,
        **fields,
    )


def _is_echo(item: dict[str, Any]) -> bool:
    message = item.get("message")
    return isinstance(message, dict) and bool(message.get("is_echo"))


def _entry_events(entry: Any, app_id: str) -> list[InboundEvent]:
    if not isinstance(entry, dict):
        raise PayloadError("entry is not an object")
    page_id = _id(entry.get("id"))
    if not all(isinstance(entry.get(key) or [], list) for key in ("messaging", "standby")):
        raise PayloadError("messaging/standby are not lists")
    events: list[InboundEvent] = []
    for item in _list(entry.get("messaging")):
        if not isinstance(item, dict):
            raise PayloadError("messaging event is not an object")
        events.append(_parse_event(item, page_id, app_id))
    # Threads owned by another app arrive as standby: never answered, and while they keep
    # coming the assistant stays quiet for that citizen.
    for item in _list(entry.get("standby")):
        if isinstance(item, dict):
            kind = Kind.STAFF_REPLY if isinstance(item.get("message"), dict) else Kind.IGNORED
            events.append(_event(item, kind, page_id, _hash_id(item)))
    return events


def _parse_event(item: dict[str, Any], page_id: str, app_id: str) -> InboundEvent:
    message = item.get("message")
    if isinstance(message, dict):
        return _message_event(item, message, page_id, app_id)
    postback = item.get("postback")
    if isinstance(postback, dict):
        return _postback_event(item, postback, page_id)
    delivery = item.get("delivery")
    if isinstance(delivery, dict):
        mids = tuple(str(m) for m in _list(delivery.get("mids")))
        return _event(
            item,
            Kind.DELIVERY,
            page_id,
            _hash_id(item),
            message_ids=mids,
            watermark_ms=_watermark(delivery),
        )
    read = item.get("read")
    if isinstance(read, dict):
        return _event(item, Kind.READ, page_id, _hash_id(item), watermark_ms=_watermark(read))
    policy = item.get("policy-enforcement")
    if isinstance(policy, dict):
        # Only the action is kept: the reason is free text.
        action = _id(policy.get("action"))
        action = action if action in POLICY_ACTIONS else "other"
        return _event(item, Kind.POLICY, page_id, _hash_id(item), payload=action)
    return _event(item, _handover(item, app_id), page_id, _hash_id(item))


def _handover(item: dict[str, Any], app_id: str) -> Kind:
    """Who owns the thread after a handover event (Messenger's handover protocol), as a kind;
    IGNORED for anything else, or while our app id is unknown."""
    control = next((item[key] for key in HANDOVER_EVENTS if isinstance(item.get(key), dict)), None)
    if control is None or not app_id:
        return Kind.IGNORED
    owner = _id(control.get("new_owner_app_id"))
    if owner:
        return Kind.THREAD_BACK if owner == app_id else Kind.THREAD_AWAY
    # A take without a new owner is sent to the app it was taken from: us.
    return Kind.THREAD_AWAY if "take_thread_control" in item else Kind.IGNORED


def _message_event(
    item: dict[str, Any], message: dict[str, Any], page_id: str, app_id: str
) -> InboundEvent:
    mid = str(message.get("mid") or _hash_id(item))
    if message.get("is_echo"):
        # Sent by another app (the page inbox): a person of the page answered.
        staff = bool(app_id) and _id(message.get("app_id")) != app_id
        return _event(item, Kind.STAFF_REPLY if staff else Kind.ECHO, page_id, mid)
    quick_reply = message.get("quick_reply")
    payload = quick_reply.get("payload") if isinstance(quick_reply, dict) else None
    text = message.get("text")
    if isinstance(text, str) or payload:
        return _event(
            item,
            Kind.TEXT,
            page_id,
            mid,
            text=text if isinstance(text, str) else None,
            payload=str(payload) if payload else None,
        )
    attachments = message.get("attachments")
    if isinstance(attachments, list) and attachments:
        return _attachment_event(item, attachments, page_id, mid)
    return _event(item, Kind.IGNORED, page_id, mid)


def _attachment_event(
    item: dict[str, Any], attachments: list[Any], page_id: str, mid: str
) -> InboundEvent:
    first = attachments[0] if isinstance(attachments[0], dict) else {}
    kinds = {a.get("type") for a in attachments if isinstance(a, dict)}
    attachment_type = "sticker" if "sticker" in kinds or _is_sticker(first) else first.get("type")
    payload = first.get("payload")
    url = payload.get("url") if isinstance(payload, dict) else None
    if attachment_type == "fallback" and isinstance(url, str) and url:
        # A shared link (Messenger's "fallback" attachment) is read like a pasted one.
        title = payload.get("title") if isinstance(payload, dict) else None
        text = " ".join(p for p in (title if isinstance(title, str) else "", url) if p)
        return _event(item, Kind.TEXT, page_id, mid, text=text)
    return _event(
        item,
        Kind.ATTACHMENT,
        page_id,
        mid,
        attachment_type=str(attachment_type or "unknown"),
        attachment_url=str(url) if url else None,
    )


def _postback_event(item: dict[str, Any], postback: dict[str, Any], page_id: str) -> InboundEvent:
    payload = str(postback.get("payload") or "")
    return _event(
        item,
        Kind.POSTBACK,
        page_id,
        str(postback.get("mid") or _hash_id(item)),
        payload=GREET if payload == GET_STARTED_PAYLOAD else payload,
        text=str(postback.get("title") or "") or None,
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _ms(value: Any) -> int | None:
    """A time in milliseconds, or None (JSON numbers may be 1e999: infinite, no integer)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return int(value)


def _watermark(receipt: dict[str, Any]) -> int | None:
    return _ms(receipt.get("watermark"))


def _is_sticker(attachment: dict[str, Any]) -> bool:
    payload = attachment.get("payload")
    return isinstance(payload, dict) and "sticker_id" in payload


def classify_response(status: int, body: Any) -> SendResult:
    """Map a Send API response to a result: sent, retry later, or permanent failure."""
    if 200 <= status < 300 and isinstance(body, dict) and "message_id" in body:
        return SendResult(ok=True, message_id=str(body["message_id"]))
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    subcode = error.get("error_subcode") if isinstance(error, dict) else None
    described = f"facebook {status} code={code} subcode={subcode}"
    if status == 429 or code in RATE_LIMIT_CODES:
        return SendResult(ok=False, retryable=True, retry_after_s=60.0, error=described)
    if status >= 500:
        return SendResult(ok=False, retryable=True, error=described)
    if code in TOKEN_CODES:
        return SendResult(ok=False, token_invalid=True, error=described)
    # Outside the window, user unreachable/blocked, bad recipient: permanent.
    return SendResult(ok=False, error=described)
