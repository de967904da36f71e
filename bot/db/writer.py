"""Group commit: the process's writes share transactions, one writer at a time.

Measured (benchmarks/webhook_load.py, SQLite): with every ack, turn completion and send status
in its own transaction, writers queued on SQLite's single write lock and its busy-wait backoff
(1, 2, 5, 10... ms sleeps), and the ack's commit reached 200 ms at p99. Funnelling the writes
through one task that commits whatever has queued up in one transaction keeps the lock held
for short, rare moments. Nothing is delayed on purpose: an idle writer commits at once.

A caller awaits its own work's result, after the commit. If a batch fails, each work is retried
alone so that one bad write does not fail its neighbours.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)
T = TypeVar("T")
Work = Callable[[AsyncConnection], Awaitable[Any]]

MAX_BATCH = 256


class BatchWriter:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._queue: asyncio.Queue[tuple[Work, asyncio.Future[Any]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        self.writes = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Commit what is queued, then stop."""
        if self._task is None:
            return
        await self._queue.join()
        self._task.cancel()
        with suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def write(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run `work(conn)` inside a committed transaction; return its result after the commit."""
        if self._task is None:  # not started (e.g. a tool): plain transaction
            async with self._engine.begin() as conn:
                return await work(conn)
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((work, future))
        return await future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._commit(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _commit(self, batch: list[tuple[Work, asyncio.Future[Any]]]) -> None:
        live = [(work, fut) for work, fut in batch if not fut.cancelled()]
        if not live:
            return
        try:
            results = []
            async with self._engine.begin() as conn:
                for work, _ in live:
                    results.append(await work(conn))
        except Exception:
            if len(live) == 1:
                _, fut = live[0]
                if not fut.done():
                    fut.set_exception(_current_exception())
                return
            # One work spoiled the batch: give each its own transaction and its own outcome.
            for work, fut in live:
                try:
                    async with self._engine.begin() as conn:
                        result = await work(conn)
                except Exception as exc:
                    if not fut.done():
                        fut.set_exception(exc)
                else:
                    if not fut.done():
                        fut.set_result(result)
            return
        self.batches += 1
        self.writes += len(live)
        for (_, fut), result in zip(live, results, strict=True):
            if not fut.done():
                fut.set_result(result)


def _current_exception() -> BaseException:
    import sys

    exc = sys.exc_info()[1]
    return exc if exc is not None else RuntimeError("write failed")
