"""Who may work on what, across worker processes.

One process (the SQLite default) needs nothing beyond its own task bookkeeping: `LocalLocks`
always grants. Several workers behind a load balancer share PostgreSQL and Redis: `RedisLocks`
grants a key to one process at a time (SET NX PX with a token, renewed while held, released only
by its holder), so one conversation's turns, or its sends, are handled by one worker at a time
and in order, and the Zalo token is refreshed by one worker only.

When Redis cannot be reached the answer is "not granted" (and `LocksUnavailable` is counted):
intake goes on (webhooks are committed to PostgreSQL and acknowledged), answering pauses until
Redis is back. Never two workers in one conversation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator
from typing import Protocol

log = logging.getLogger(__name__)

LOCK_TTL_MS = 15_000  # a killed worker's conversations wait at most this long
RENEW_EVERY_S = 5.0
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""


class LocksUnavailable(RuntimeError):
    """The lock service cannot be reached."""


class Locks(Protocol):
    def hold(self, key: str) -> contextlib.AbstractAsyncContextManager[bool]:
        """Try once: True if this process now holds `key` until the block ends."""

    def wait(self, key: str, timeout_s: float) -> contextlib.AbstractAsyncContextManager[bool]:
        """Wait up to `timeout_s` for `key`."""

    async def close(self) -> None: ...


class LocalLocks:
    """One process: per-key asyncio locks (conversation workers already run one per key)."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[bool]:
        yield True

    @contextlib.asynccontextmanager
    async def wait(self, key: str, timeout_s: float) -> AsyncIterator[bool]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            await asyncio.wait_for(lock.acquire(), timeout_s)
        except asyncio.TimeoutError:
            yield False
            return
        try:
            yield True
        finally:
            lock.release()

    async def close(self) -> None:
        return None


class RedisLocks:
    def __init__(self, url: str, prefix: str = "khdx:lock:") -> None:
        import redis.asyncio as aioredis  # type: ignore[import-untyped]

        self._redis = aioredis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = prefix
        self.unavailable = 0
        self._warned_at = 0.0

    async def _acquire(self, key: str, token: str) -> bool:
        try:
            return bool(await self._redis.set(self._prefix + key, token, nx=True, px=LOCK_TTL_MS))
        except Exception as exc:
            self.unavailable += 1
            if time.monotonic() - self._warned_at > 30:
                self._warned_at = time.monotonic()
                log.error("locks unavailable (%s): answering pauses", type(exc).__name__)
            raise LocksUnavailable(str(type(exc).__name__)) from exc

    async def _renew(self, key: str, token: str) -> None:
        while True:
            await asyncio.sleep(RENEW_EVERY_S)
            with contextlib.suppress(Exception):
                await self._redis.eval(_RENEW, 1, self._prefix + key, token, LOCK_TTL_MS)

    async def _release(self, key: str, token: str) -> None:
        with contextlib.suppress(Exception):
            await self._redis.eval(_RELEASE, 1, self._prefix + key, token)

    @contextlib.asynccontextmanager
    async def _held(self, key: str, token: str) -> AsyncIterator[bool]:
        renew = asyncio.create_task(self._renew(key, token))
        try:
            yield True
        finally:
            renew.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renew
            await self._release(key, token)

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[bool]:
        token = secrets.token_hex(8)
        try:
            acquired = await self._acquire(key, token)
        except LocksUnavailable:
            acquired = False
        if not acquired:
            yield False
            return
        async with self._held(key, token) as held:
            yield held

    @contextlib.asynccontextmanager
    async def wait(self, key: str, timeout_s: float) -> AsyncIterator[bool]:
        token = secrets.token_hex(8)
        deadline = time.monotonic() + timeout_s
        acquired = False
        while not acquired and time.monotonic() < deadline:
            try:
                acquired = await self._acquire(key, token)
            except LocksUnavailable:
                break
            if not acquired:
                await asyncio.sleep(0.05)
        if not acquired:
            yield False
            return
        async with self._held(key, token) as held:
            yield held

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._redis.close()


def make_locks(redis_url: str) -> Locks:
    return RedisLocks(redis_url) if redis_url else LocalLocks()
