"""What every channel adapter provides, and the types that cross the adapter boundary.

An adapter verifies a webhook on its raw bytes, parses it into `InboundEvent`s (every event of a
batch), renders the assistant's replies into the platform's message bodies and sends them.
Parsing is total: it returns events or raises one `PayloadError`; verification never raises.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from bot.core.jsonbody import BadJson, loads_object
from bot.core.replies import Reply


class Kind(str, Enum):
    TEXT = "text"  # typed text, or a quick reply / button (payload set)
    POSTBACK = "postback"  # a button or menu payload without typed text
    ATTACHMENT = "attachment"  # image, sticker, audio, video, file, location...
    FOLLOW = "follow"
    UNFOLLOW = "unfollow"
    DELIVERY = "delivery"  # our message reached the user
    READ = "read"  # the user saw our messages
    ECHO = "echo"  # a message the page/OA itself sent: never a bot turn
    IGNORED = "ignored"  # known but irrelevant (standby, tags, ...)
    POLICY = "policy"  # the platform acted on the page for a policy breach: logged, counted
    # Page/OA staff wrote to the citizen from outside the assistant (or another app holds the
    # thread): the assistant stays quiet for that citizen for a while.
    STAFF_REPLY = "staff_reply"
    THREAD_AWAY = "thread_away"  # Messenger handover: another app now owns the thread
    THREAD_BACK = "thread_back"  # Messenger handover: the thread is ours again


TURN_KINDS = frozenset({Kind.TEXT, Kind.POSTBACK, Kind.ATTACHMENT, Kind.FOLLOW})


@dataclass(frozen=True)
class InboundEvent:
    platform: str
    kind: Kind
    event_id: str  # the platform's message id, or a hash of the event for id-less events
    page_id: str
    user_id: str  # raw platform user id (PSID / Zalo user id): stored only in `recipients`
    timestamp_ms: int = 0
    text: str | None = None
    payload: str | None = None
    attachment_type: str | None = None
    attachment_url: str | None = None
    # Deliveries/reads: message ids (and/or a watermark) they confirm.
    message_ids: tuple[str, ...] = ()
    watermark_ms: int | None = None


class PayloadError(ValueError):
    """A signed body that is not a payload this adapter understands."""


def load_json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object with storable strings, or PayloadError (malformed, nested too
    deep, not an object)."""
    try:
        return loads_object(raw)
    except BadJson as exc:
        raise PayloadError(str(exc)) from exc


@dataclass(frozen=True)
class SendResult:
    ok: bool
    message_id: str | None = None
    retryable: bool = False
    retry_after_s: float | None = None
    # The access token was rejected (Zalo -216/-220): refresh it and retry once.
    token_invalid: bool = False
    error: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


class ChannelAdapter(abc.ABC):
    platform: str
    # The header that carries the webhook's signature: a request without it is unsigned (401).
    signature_header: str

    def outside_window(self, event: InboundEvent, now_ms: int) -> bool:
        """True for a signed event too old (or too far ahead) to be a fresh delivery: a replay.
        Only for platforms whose signature covers the event's time."""
        return False

    @abc.abstractmethod
    def verify(self, headers: Mapping[str, str], raw: bytes) -> bool:
        """True only for a body signed with this channel's secret. Constant time; never raises."""

    @abc.abstractmethod
    def parse(self, raw: bytes) -> list[InboundEvent]:
        """Every event in the body, in order; `PayloadError` if the body is not understood."""

    @abc.abstractmethod
    def render(self, replies: list[Reply]) -> list[dict[str, Any]]:
        """Platform message bodies (without the recipient) for the replies, in order."""
