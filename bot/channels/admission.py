"""Which events of a verified webhook are stored: a replay, a message with no sender and a
platform's policy notice are acknowledged like the rest (the platform must not retry them),
but never stored or answered; each is logged without content and counted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timezone

from bot.channels.base import TURN_KINDS, ChannelAdapter, InboundEvent, Kind
from bot.metrics import Metrics

log = logging.getLogger(__name__)

# Events that need the user who sent them: a follow or unfollow too (it opens a window).
NEEDS_SENDER = TURN_KINDS | {Kind.UNFOLLOW}


def admit(
    adapter: ChannelAdapter, events: Sequence[InboundEvent], now: datetime, metrics: Metrics
) -> list[InboundEvent]:
    """The events to store, in order; the others logged and counted."""
    aware = now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)
    now_ms = int(aware.timestamp() * 1000)
    admitted = []
    for event in events:
        reason = _refusal(adapter, event, now_ms)
        if reason is None:
            admitted.append(event)
        elif reason == "policy":
            # The platform restricted or warned the page: whoever runs it must look.
            log.warning("%s policy enforcement on the page: %s", event.platform, event.payload)
            metrics.policy_enforcement.labels(event.platform, event.payload or "unknown").inc()
        else:
            log.warning("%s %s event not processed: %s", event.platform, event.kind.value, reason)
            metrics.events_refused.labels(event.platform, reason).inc()
    return admitted


def _refusal(adapter: ChannelAdapter, event: InboundEvent, now_ms: int) -> str | None:
    if event.kind is Kind.POLICY:
        return "policy"
    if adapter.outside_window(event, now_ms):
        return "replay_window"
    if event.kind in NEEDS_SENDER and not event.user_id.strip():
        return "no_sender"
    return None
