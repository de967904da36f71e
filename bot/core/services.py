"""The services a runtime builds once and hands to handlers, desks and background loops.

Handlers and desks receive this container instead of looking objects up in the aiohttp app;
the app's typed keys stay at the HTTP edge (bot/web/keys.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.conversation.citizens import CitizenRegistry
    from bot.conversation.recording import MessageRecorder
    from bot.core.replies import Reply
    from bot.db.writer import BatchWriter
    from bot.engine.runner import Assistant
    from bot.engine.topics import TopicMap
    from bot.metrics import Metrics
    from bot.pipeline.locks import Locks
    from bot.settings import Settings

Clock = Callable[[], datetime]


def _no_render(platform: str, replies: list[Reply]) -> list[dict[str, Any]]:
    raise RuntimeError(f"no channel renders {platform} messages in this process")


def _no_wake(conversation: tuple[str, str] | None) -> None:
    return None


@dataclass
class Outbound:
    """How a feature queues messages outside a turn (volunteer replies, newsletter issues):
    render them for a platform, then wake whoever sends. Filled in once the channels exist."""

    render: Callable[[str, list[Reply]], list[dict[str, Any]]] = _no_render
    # None: any conversation may have work (a broadcast).
    wake: Callable[[tuple[str, str] | None], None] = _no_wake


@dataclass
class Services:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    writer: BatchWriter
    citizens: CitizenRegistry
    recorder: MessageRecorder
    locks: Locks
    metrics: Metrics
    topics: TopicMap
    pseudonym_key: bytes
    outbound: Outbound = field(default_factory=Outbound)
    # Set by the runtime once the agent (or its link) exists; None in processes without turns.
    assistant: Assistant | None = None
