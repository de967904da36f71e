"""Engagement records: one `turns` row per handled message (no text, pseudonymous user)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Connection

from bot.db.models import turns
from bot.db.writer import BatchWriter
from bot.engine.runner import TurnResult

log = logging.getLogger(__name__)


class TurnRecorder:
    def __init__(self, writer: BatchWriter, clock: Callable[[], datetime]) -> None:
        self.writer = writer
        self.clock = clock

    async def record(
        self, channel: str, user_ref: str | None, topic: str, result: TurnResult
    ) -> None:
        values = {
            "created_at": self.clock(),
            "channel": channel,
            "user_ref": user_ref,
            "intent": result.intent,
            "topic": topic,
            "confidence": round(result.confidence, 4),
            "fallback": result.fallback,
            "latency_ms": round(result.latency_ms, 2),
            "replies": len(result.replies),
        }

        def work(conn: Connection) -> None:
            conn.execute(turns.insert().values(**values))

        try:
            await self.writer.write(work)
        except Exception as exc:  # a lost statistic must never cost the citizen a reply
            log.error("could not record turn: %s", type(exc).__name__)
