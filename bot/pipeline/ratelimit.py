"""Token-bucket rate limiting per (platform, page/OA), with a shared pause after a 429."""

from __future__ import annotations

import asyncio
import ipaddress
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


class KeyedLimiter:
    """Refuse rather than wait: `burst` requests per key at once, refilled at `rate_per_s`. For
    public endpoints, where a caller over its limit is told when to come back.

    Keys whose bucket has refilled are forgotten; past `max_keys` live keys, new keys share one
    bucket, so a flood of fresh keys slows itself instead of growing memory or erasing the
    counts of keys already over their limit."""

    OVERFLOW = "\x00overflow"

    def __init__(
        self,
        rate_per_s: float,
        burst: int,
        *,
        max_keys: int = 50_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate_per_s
        self.capacity = float(burst)
        self._max_keys = max_keys
        self._monotonic = monotonic
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, updated)

    def _prune(self, now: float) -> None:
        full_after = self.capacity / self.rate
        self._buckets = {
            key: (tokens, updated)
            for key, (tokens, updated) in self._buckets.items()
            if now - updated < full_after
        }

    def retry_after(self, key: str) -> float:
        """0 if the request of `key` may go ahead (and counts it), else seconds to wait."""
        now = self._monotonic()
        if key not in self._buckets and len(self._buckets) >= self._max_keys:
            self._prune(now)
            if len(self._buckets) >= self._max_keys:
                key = self.OVERFLOW
        tokens, updated = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - updated) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.rate


def address_key(address: str) -> str:
    """What a per-address limit counts against: the address, or an IPv6 client's /64, which one
    subscriber usually holds whole."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64] or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
