"""Group commit on one writer thread: the process's writes share transactions.

A transaction per ack, turn completion and send status would queue writers on SQLite's single
write lock and its busy-wait backoff; batches through the async driver would still pay a thread
hop per statement. So whatever has queued up is committed by a synchronous connection on one
dedicated thread: one hop per batch (the figures are in the README).

Webhook intake is `urgent` and goes before background writes (send statuses, turn records),
which are taken a few at a time so an ack never waits long behind them. Nothing is delayed on
purpose: an idle writer commits at once. A caller awaits its own work's result, after the
commit; if a batch fails, each work is retried alone so one bad write does not fail the rest.

PostgreSQL takes concurrent writers, and one thread waiting on round trips would keep acks
behind turn records. There the writer runs several lanes, each a thread with its own
connection; lane 0 takes intake only, so an ack never waits behind a background batch.

`lazy` writes (PostgreSQL): the caller can afford to lose the write if PostgreSQL itself crashes
within a fraction of a second of it (not on a clean restart, which writes the WAL out). A batch
of lazy writes only is committed without waiting for its WAL flush (`synchronous_commit off`),
which otherwise is what every session waits on most under load. Every later durable commit
flushes the lazy ones before it, so a write that precedes an irreversible step (claiming a
reply to send) stays durable and makes its forerunners durable too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

from bot.db.engine import apply_sqlite_pragmas, ensure_sqlite_dir, sync_connect_args, sync_url

log = logging.getLogger(__name__)
T = TypeVar("T")
Work = Callable[[Connection], Any]
Item = tuple[Work, asyncio.Future[Any], bool]  # work, its result, lazy

MAX_BATCH = 256
MAX_BACKGROUND_IN_BATCH = 16
POSTGRES_LANES = 4
_NO_FLUSH_WAIT = "SET LOCAL synchronous_commit TO OFF"  # this transaction only


def sync_engine(database_url: str, connections: int = 1) -> Engine:
    ensure_sqlite_dir(database_url)
    url = sync_url(database_url)
    engine = create_engine(
        url,
        future=True,
        poolclass=QueuePool,
        pool_size=connections,
        max_overflow=1,
        # A silent server fails the write within seconds, not the kernel's quarter of an hour.
        connect_args=sync_connect_args(url),
    )
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", apply_sqlite_pragmas)
    return engine


class BatchWriter:
    def __init__(self, database_url: str) -> None:
        self._postgres = sync_url(database_url).get_backend_name() == "postgresql"
        lanes = POSTGRES_LANES if self._postgres else 1
        self._engine = sync_engine(database_url, connections=lanes)
        self._executors = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"db-writer-{lane}")
            for lane in range(lanes)
        ]
        self._executor = self._executors[0]
        self._urgent: asyncio.Queue[Item] = asyncio.Queue()
        self._queue: asyncio.Queue[Item] = asyncio.Queue()
        self._wakeup = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.batches = 0
        self.writes = 0

    def start(self) -> None:
        if not self._tasks:
            lanes = len(self._executors)
            self._tasks = [
                # With several lanes, lane 0 is kept for intake.
                asyncio.create_task(self._run(executor, background=lanes == 1 or lane > 0))
                for lane, executor in enumerate(self._executors)
            ]

    async def stop(self) -> None:
        """Commit what is queued, then stop."""
        if self._tasks:
            await self._urgent.join()
            await self._queue.join()
            for task in self._tasks:
                task.cancel()
            for task in self._tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            self._tasks = []
        # SQLite connections belong to the thread that opened them: close them there.
        await asyncio.get_running_loop().run_in_executor(self._executor, self._engine.dispose)
        for executor in self._executors:
            executor.shutdown(wait=True)

    async def write(
        self, work: Callable[[Connection], T], *, urgent: bool = False, lazy: bool = False
    ) -> T:
        """Run `work(conn)` in a committed transaction; return its result after the commit.
        `urgent` writes (webhook intake) are committed before queued background writes; `lazy`
        ones may be committed without waiting for the WAL flush (see the module's note)."""
        loop = asyncio.get_running_loop()
        if not self._tasks:  # not started (a tool, a test): one plain transaction
            return await loop.run_in_executor(self._executor, self._single, work)
        future: asyncio.Future[T] = loop.create_future()
        (self._urgent if urgent else self._queue).put_nowait((work, future, lazy))
        self._wakeup.set()
        return await future

    def _single(self, work: Callable[[Connection], T]) -> T:
        with self._engine.begin() as conn:
            return work(conn)

    async def _run(self, executor: ThreadPoolExecutor, *, background: bool) -> None:
        while True:
            if self._urgent.empty() and (not background or self._queue.empty()):
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            urgent = _take(self._urgent, MAX_BATCH)
            later = _take(self._queue, MAX_BACKGROUND_IN_BATCH) if background else []
            try:
                await self._commit_batch(executor, urgent + later)
            finally:
                for _ in urgent:
                    self._urgent.task_done()
                for _ in later:
                    self._queue.task_done()

    async def _commit_batch(self, executor: ThreadPoolExecutor, items: list[Item]) -> None:
        """Commit the works whose callers still wait, and hand each its result."""
        batch = [item for item in items if not item[1].cancelled()]
        if not batch:
            return
        lazy = self._postgres and all(item[2] for item in batch)
        outcomes = await asyncio.get_running_loop().run_in_executor(
            executor, self._commit, [item[0] for item in batch], lazy
        )
        for (_, future, _), (ok, value) in zip(batch, outcomes, strict=True):
            _settle(future, ok, value)

    def _commit(self, works: list[Work], lazy: bool = False) -> list[tuple[bool, Any]]:
        """On the writer thread: all works in one transaction, or each alone if that fails."""
        try:
            with self._engine.begin() as conn:
                if lazy:
                    conn.exec_driver_sql(_NO_FLUSH_WAIT)
                results = [work(conn) for work in works]
        except Exception:
            if len(works) == 1:
                return [(False, sys.exc_info()[1])]
            outcomes: list[tuple[bool, Any]] = []
            for work in works:
                try:
                    with self._engine.begin() as conn:
                        outcomes.append((True, work(conn)))
                except Exception as exc:
                    outcomes.append((False, exc))
            return outcomes
        self.batches += 1
        self.writes += len(works)
        return [(True, result) for result in results]


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


def _take(queue: asyncio.Queue[Item], limit: int) -> list[Item]:
    items: list[Item] = []
    while len(items) < limit and not queue.empty():
        items.append(queue.get_nowait())
    return items
