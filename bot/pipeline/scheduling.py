"""One worker task per conversation with work: the shape shared by the dispatcher (inbox ->
turns) and the relay (outbox -> Send APIs).

New work is announced with `wake(conversation)` (cheap: no table scan); a periodic scan finds
the rest (rows left by a crash, due retries, a lost hint). A conversation has at most one task;
a hint that arrives while its task runs is kept and replayed when the task ends, so work that
lands between the task's last look and its exit is not left waiting for the next scan.
"""

from __future__ import annotations

import abc
import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from typing import Any

log = logging.getLogger(__name__)
Key = tuple[str, str]  # a conversation: (platform, user_ref)


class ConversationWorkers(abc.ABC):
    poll_interval_s: float = 1.0

    def __init__(self) -> None:
        self._wake = asyncio.Event()
        self._hints: set[Key] = set()
        self._rehint: set[Key] = set()
        self._full_scan = True
        self._active: dict[Key, asyncio.Task[None]] = {}
        self._stopping = False

    @abc.abstractmethod
    async def _scan(self) -> None:
        """Look in the table for conversations with work and `_start` them."""

    @abc.abstractmethod
    async def _work(self, key: Key, first: Any) -> None:
        """Do one conversation's work, in order, until there is none left (or it must wait)."""

    def _can_start(self) -> bool:
        return True

    def wake(self, conversation: Key | None = None) -> None:
        """New work for one conversation, or somewhere (rescan)."""
        if conversation is None:
            self._full_scan = True
        elif conversation in self._active:
            self._rehint.add(conversation)
        else:
            self._hints.add(conversation)
        self._wake.set()

    async def run(self) -> None:
        last_scan = float("-inf")
        loop = asyncio.get_running_loop()
        while not self._stopping:
            try:
                if self._full_scan or loop.time() - last_scan >= self.poll_interval_s:
                    self._full_scan = False
                    last_scan = loop.time()
                    await self._scan()
                hints, self._hints = self._hints, set()
                for key in hints:
                    self._start(key)
            except Exception as exc:  # a database hiccup must not kill the loop
                log.error("%s: %s", type(self).__name__, type(exc).__name__)
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval_s)
            self._wake.clear()

    def _start(self, key: Key, first: Any = None) -> None:
        if key in self._active or self._stopping or not self._can_start():
            return
        task = asyncio.create_task(self._work(key, first))
        self._active[key] = task
        task.add_done_callback(self._finished(key))

    def _finished(self, key: Key) -> Callable[[asyncio.Task[None]], None]:
        def done(_task: asyncio.Task[None]) -> None:
            self._active.pop(key, None)
            if key in self._rehint:
                self._rehint.discard(key)
                self._hints.add(key)
                self._wake.set()

        return done

    async def stop(self, timeout: float) -> None:
        """Take no new work; let running tasks finish within `timeout`, then cancel them."""
        self._stopping = True
        self._wake.set()
        tasks = list(self._active.values())
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                task.cancel()
            for task in pending:
                with suppress(asyncio.CancelledError, Exception):
                    await task
