"""Failed admin logins, counted three ways within a window:

- per address and account: at most PAIR_MAX guesses, then that address waits;
- per address: at most ADDRESS_MAX guesses on any names (a spray of names from one address);
- per account, across addresses: past ACCOUNT_MAX the account takes guesses only from addresses
  that have not failed on it, one each. A botnet gets one guess per fresh address instead of
  PAIR_MAX, and nobody can lock `admin` out: its owner signs in from an address that has not
  failed (behind a reverse proxy, set TRUSTED_PROXIES so each user keeps their own address).

Memory is bounded: each table keeps at most `capacity` keys. When full, expired keys go first,
then the oldest that are not over their limit; an offender is forgotten only when the table
holds nothing but offenders. So a flood of junk names, which fail once each, cannot clear an
attacker's record.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Hashable

WINDOW_S = 300
PAIR_MAX = 5
ADDRESS_MAX = 20
ACCOUNT_MAX = 10
CAPACITY = 10_000


class FailureLog:
    """Times of the recent failures per key, at most `capacity` keys."""

    def __init__(self, limit: int, capacity: int = CAPACITY) -> None:
        self._limit, self._capacity = limit, capacity
        # Least recently failed first.
        self._times: OrderedDict[Hashable, deque[float]] = OrderedDict()

    def count(self, key: Hashable, now: float) -> int:
        times = self._times.get(key)
        if times is None:
            return 0
        while times and times[0] <= now - WINDOW_S:
            times.popleft()
        if not times:
            del self._times[key]
            return 0
        return len(times)

    def over(self, key: Hashable, now: float) -> bool:
        return self.count(key, now) >= self._limit

    def add(self, key: Hashable, now: float) -> None:
        times = self._times.pop(key, None) or deque(maxlen=self._limit)
        times.append(now)
        self._times[key] = times
        if len(self._times) > self._capacity:
            self._make_room(now)

    def forget(self, key: Hashable) -> None:
        self._times.pop(key, None)

    def withdraw(self, key: Hashable, when: float) -> None:
        """Take back one failure recorded at `when` (the attempt succeeded after all)."""
        times = self._times.get(key)
        if times is not None and when in times:
            times.remove(when)

    def __len__(self) -> int:
        return len(self._times)

    def _make_room(self, now: float) -> None:
        for key in [k for k, t in self._times.items() if t[-1] <= now - WINDOW_S]:
            del self._times[key]
        excess = len(self._times) - self._capacity
        if excess <= 0:
            return
        quiet = [k for k, t in self._times.items() if len(t) < self._limit][:excess]
        for key in quiet:
            del self._times[key]
        for _ in range(len(self._times) - self._capacity):
            self._times.popitem(last=False)


class LoginLimiter:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self._pairs = FailureLog(PAIR_MAX, capacity)
        self._addresses = FailureLog(ADDRESS_MAX, capacity)
        self._accounts = FailureLog(ACCOUNT_MAX, capacity)

    def blocked(self, address: str, username: str, now: float) -> bool:
        name = username.strip().lower()
        pair = (address, name)
        if self._pairs.over(pair, now) or self._addresses.over(address, now):
            return True
        return self._accounts.over(name, now) and self._pairs.count(pair, now) > 0

    def failed(self, address: str, username: str, now: float) -> None:
        name = username.strip().lower()
        self._pairs.add((address, name), now)
        self._addresses.add(address, now)
        self._accounts.add(name, now)

    def succeeded(self, address: str, username: str, attempted: float) -> None:
        """The attempt recorded at `attempted` (as a failure, before the password was checked,
        so that parallel guesses count) succeeded: it is withdrawn, and the pair forgiven."""
        name = username.strip().lower()
        self._pairs.forget((address, name))
        self._addresses.withdraw(address, attempted)
        self._accounts.withdraw(name, attempted)
