"""The second opinion's examples as the model in service knows them: the project's training data
plus the reviewed examples (the review queue) that the active model was trained with.

Without them a retrained model and its second opinion would disagree on every question the admin
just taught, and the citizen would be asked back instead of answered. The active model is read at
most every `interval_s`; when it changed, the retriever is rebuilt off the event loop and swapped
in, and the old one answers meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.models import model_versions, reviewed_examples
from bot.nlu.retrieval import Retriever

log = logging.getLogger(__name__)

Pairs = list[tuple[str, str]]  # (intent, example)


class LiveRetriever:
    def __init__(
        self,
        base: Pairs,
        engine: AsyncEngine | None,
        *,
        interval_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._base = base
        self._engine = engine
        self._interval = interval_s
        self._clock = clock
        self._retriever = Retriever(base)
        self._version: int | None = None  # the active model whose examples are in
        self._checked = float("-inf")
        self._rebuild: asyncio.Task[None] | None = None
        self.rebuilds = 0

    async def current(self) -> Retriever:
        """The retriever to use for this message; starts a rebuild when the model changed."""
        now = self._clock()
        busy = self._rebuild is not None and not self._rebuild.done()
        if self._engine is None or busy or now - self._checked < self._interval:
            return self._retriever
        self._checked = now
        try:
            version = await self._active()
        except Exception as exc:  # the database may be away: keep what we have
            log.warning("active model not read for the second opinion: %s", type(exc).__name__)
            return self._retriever
        if version != self._version:
            self._rebuild = asyncio.create_task(self._rebuilt(version))
        return self._retriever

    async def settled(self) -> None:
        """Wait for a rebuild in progress (tests, start-up)."""
        if self._rebuild is not None:
            await self._rebuild

    async def _active(self) -> int | None:
        assert self._engine is not None
        async with self._engine.connect() as conn:
            found = await conn.execute(
                select(model_versions.c.id)
                .where(model_versions.c.status == "active")
                .order_by(model_versions.c.activated_at.desc())
                .limit(1)
            )
            return found.scalar()

    async def _rebuilt(self, version: int | None) -> None:
        try:
            reviewed = await self._reviewed(version)
            # Fitting the n-grams of some thousand examples takes a second: not in a turn.
            retriever = await asyncio.to_thread(Retriever, [*self._base, *reviewed])
        except Exception as exc:
            log.warning("second opinion not rebuilt: %s", type(exc).__name__)
            self._checked = float("-inf")  # try again at the next message
            return
        self._retriever, self._version = retriever, version
        self.rebuilds += 1
        log.info("second opinion for model %s: %d reviewed examples", version, len(reviewed))

    async def _reviewed(self, version: int | None) -> Pairs:
        """The reviewed examples a model was trained with: those marked with its id or an
        earlier one (a retrain marks the examples it took)."""
        if version is None:
            return []
        assert self._engine is not None
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(reviewed_examples.c.intent, reviewed_examples.c.text).where(
                    reviewed_examples.c.model_version.is_not(None),
                    reviewed_examples.c.model_version <= version,
                )
            )
            return [(str(intent), str(text)) for intent, text in rows]
