"""Token-bucket rate limiting per (platform, page/OA), with a shared pause after a 429."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class TokenBucket:
    def __init__(
        self, rate_per_s: float, burst: int, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate_per_s
        self.capacity = float(burst)
        self._tokens = float(burst)
        self._monotonic = monotonic
        self._updated = monotonic()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds` (the platform said "too many requests")."""
        self._paused_until = max(self._paused_until, self._monotonic() + seconds)
        self._tokens = 0.0

    def _refill(self, now: float) -> None:
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    async def acquire(self) -> None:
        async with self._lock:  # FIFO among waiters: sends leave in the order they asked
            while True:
                now = self._monotonic()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                self._refill(now)
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                await asyncio.sleep((1.0 - self._tokens) / self.rate)


class RateLimiter:
    """One bucket per key, created on first use with the platform's rate."""

    def __init__(self, rates: dict[str, tuple[float, int]]) -> None:
        self._rates = rates
        self._buckets: dict[tuple[str, str], TokenBucket] = {}

    def bucket(self, platform: str, page_id: str) -> TokenBucket:
        key = (platform, page_id)
        if key not in self._buckets:
            rate, burst = self._rates.get(platform, (10.0, 10))
            self._buckets[key] = TokenBucket(rate, burst)
        return self._buckets[key]
