"""Hints from a gateway to its turn process, over a Unix datagram socket.

With PostgreSQL and Redis (several workers), a worker is two processes: the gateway (webhooks,
web chat, admin, periodic sweeps) and the turn process (the Rasa agent, the dispatcher and the
outbox relay). Turns run in their own process, at a lower CPU priority, so that acks never
wait behind turn work on a shared event loop or GIL (figures in the README).

The gateway stores webhooks unclaimed and tells its turn process which conversations have new
work; the turn process starts them if it has room, otherwise any worker's scan claims them
(bot/pipeline/claims.py). Volunteer replies and newsletter issues queued by the gateway wake
the turn process's relay the same way. A hint is a datagram sent without waiting: if it is lost
(the turn process restarting), the scans find the rows within a second.

Affinity (workers started by `python -m bot run --workers N`): a conversation's turns go to one
turn process, worker hash(conversation) % N, whichever gateway took the webhook. Its tracker
then stays in that process's memory between turns (bot/engine/cached_store.py) instead of
going stale whenever the conversation moves to another process and being rebuilt from every
stored event. The gateway stores the rows claimed by the owning worker for a short lease
(AFFINITY_LEASE) and hints its turn process; if the owner is busy or gone, the lease runs out
and any worker's scan takes them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bot.pipeline.scheduling import Key
from bot.settings import worker_id

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)

MAX_DATAGRAM = 60_000  # below the default Unix datagram limit; hints are batched up to it
# Short: a busy or dead owner's conversations wait this long before any worker's scan takes them.
AFFINITY_LEASE = timedelta(seconds=2)
# Set by the supervisor (bot/runtime/supervisor.py) for its workers: where turn processes listen.
HINTS_DIR_ENV = "KHDX_TURN_HINTS_DIR"
WORKERS_ENV = "KHDX_WORKERS"

# Who is to answer a conversation's new rows: (worker id, lease), or None: left unclaimed.
Claim = tuple[str, timedelta]
ClaimFor = Callable[[Key], Claim | None]


def owner(conversation: Key, workers: int) -> int:
    """The worker index whose turn process answers `conversation` (stable across processes
    and restarts: not Python's salted hash)."""
    platform, ref = conversation
    return zlib.crc32(f"{platform}:{ref}".encode()) % workers


@dataclass(frozen=True)
class Affinity:
    """The turn processes of the supervisor's workers: their hint sockets by worker index."""

    directory: Path
    workers: int
    index: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Affinity | None:
        """The supervisor's workers (bot/runtime/supervisor.py), or None for a single one."""
        if not settings.turn_hints_dir or settings.workers < 2:
            return None
        return cls(Path(settings.turn_hints_dir), settings.workers, settings.worker_index)

    def socket(self, index: int) -> Path:
        return self.directory / f"turns-{index}.sock"

    @property
    def own_socket(self) -> Path:
        return self.socket(self.index)


class TurnIntake(Protocol):
    """What intake needs from whatever runs turns (the Dispatcher, or a TurnsLink to it)."""

    def claim(self) -> ClaimFor | None:
        """Who claims the rows of the webhook being stored now (None: nobody, for any scan)."""
        ...

    def offer(self, conversations: Iterable[Key], *, claimed: bool) -> None: ...


class SendWaker(Protocol):
    def wake(self, conversation: Key | None = None) -> None: ...


class TurnsLink:
    """The gateway's side: turn and send hints for its turn process, or with `affinity` for
    the turn process of the worker that owns each conversation."""

    def __init__(self, path: Path, affinity: Affinity | None = None) -> None:
        self.path = path
        self.affinity = affinity
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.setblocking(False)
        self.lost = 0
        self._owners = [worker_id(i) for i in range(affinity.workers)] if affinity else []

    def claim(self) -> ClaimFor | None:
        # Without affinity the gateway does not know how busy its turn process is: rows stay
        # unclaimed and the turn process decides (it may leave them to another worker).
        return self._owner_claim if self.affinity else None

    def _owner_claim(self, conversation: Key) -> Claim:
        assert self.affinity is not None
        return self._owners[owner(conversation, self.affinity.workers)], AFFINITY_LEASE

    def _target(self, conversation: Key) -> Path:
        if self.affinity is None:
            return self.path
        return self.affinity.socket(owner(conversation, self.affinity.workers))

    def offer(self, conversations: Iterable[Key], *, claimed: bool) -> None:
        by_target: dict[Path, list[Key]] = {}
        for conversation in dict.fromkeys(conversations):
            by_target.setdefault(self._target(conversation), []).append(conversation)
        for target, turns in by_target.items():
            self._send({"turns": turns}, target)

    def wake(self, conversation: Key | None = None) -> None:
        """New replies to send for `conversation` (None: look everywhere)."""
        target = self._target(conversation) if conversation else self.path
        self._send({"sends": [conversation] if conversation else None}, target)

    def _send(self, message: dict[str, Any], target: Path) -> None:
        data = json.dumps(message, separators=(",", ":")).encode()
        if len(data) > MAX_DATAGRAM:  # a huge webhook batch: a full scan finds them all
            data = b'{"turns":null}'
        try:
            self._sock.sendto(data, str(target))
            return
        except OSError:  # not listening (restarting) or its queue is full
            pass
        if target != self.path:
            # The owner is restarting: this worker's own turn process starts them now (the
            # conversation lock keeps it to one worker) rather than after the lease.
            try:
                self._sock.sendto(data, str(self.path))
                return
            except OSError:
                pass
        self.lost += 1  # the scans find them

    def close(self) -> None:
        self._sock.close()


class _Receiver(asyncio.DatagramProtocol):
    def __init__(self, intake: Any, relay: SendWaker) -> None:
        self._intake = intake
        self._relay = relay

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            log.warning("unreadable turn hint dropped")
            return
        if "turns" in message:
            turns = message["turns"]
            if turns is None:
                self._intake.wake(None)
            for platform, ref in turns or ():
                # Busy: leave it unclaimed for a worker with room (its scan takes it).
                if self._intake.has_room():
                    self._intake.wake((platform, ref))
        if "sends" in message:
            sends = message["sends"]
            if sends is None:
                self._relay.wake(None)
            for platform, ref in sends or ():
                self._relay.wake((platform, ref))


async def listen(path: Path, intake: Any, relay: SendWaker) -> asyncio.BaseTransport:
    """The turn process's side: hints on `path` wake `intake` (the dispatcher) and `relay`."""
    path.unlink(missing_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(lambda: _Receiver(intake, relay), sock=sock)
    return transport
