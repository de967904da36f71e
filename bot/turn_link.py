"""Hints from a gateway to its turn process, over a Unix datagram socket.

With PostgreSQL and Redis (several workers), a worker is two processes: the gateway (webhooks,
web chat, admin, periodic sweeps) and the turn process (the Rasa agent, the dispatcher and the
outbox relay). Measured (benchmarks/webhook_load.py, 2 workers, 30 msg/s): with turns on the
gateway's event loop, each ack waited behind turn work at every await (ack p50 9.6 ms, p99
85 ms); in their own process, at a lower CPU priority, they no longer share a loop or a GIL with
intake.

The gateway stores webhooks unclaimed and tells its turn process which conversations have new
work; the turn process starts them if it has room, otherwise any worker's scan claims them
(bot/claims.py). Volunteer replies and newsletter issues queued by the gateway wake the turn
process's relay the same way. A hint is a datagram sent without waiting: if it is lost (the
turn process restarting), the scans find the rows within a second.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (platform, user_ref)
MAX_DATAGRAM = 60_000  # below the default Unix datagram limit; hints are batched up to it


class TurnIntake(Protocol):
    """What intake needs from whatever runs turns (bot.dispatcher.Dispatcher or a TurnsLink)."""

    def has_room(self) -> bool: ...

    def offer(self, conversations: Iterable[Key], *, claimed: bool) -> None: ...


class SendWaker(Protocol):
    def wake(self, conversation: Key | None = None) -> None: ...


class TurnsLink:
    """The gateway's side: turn and send hints for its turn process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.setblocking(False)
        self.lost = 0

    def has_room(self) -> bool:
        # The gateway does not know how busy its turn process is: rows stay unclaimed and
        # the turn process decides (it may leave them to another worker).
        return False

    def offer(self, conversations: Iterable[Key], *, claimed: bool) -> None:
        turns = list(dict.fromkeys(conversations))
        if turns:
            self._send({"turns": turns})

    def wake(self, conversation: Key | None = None) -> None:
        """New replies to send for `conversation` (None: look everywhere)."""
        self._send({"sends": [conversation] if conversation else None})

    def _send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message, separators=(",", ":")).encode()
        if len(data) > MAX_DATAGRAM:  # a huge webhook batch: a full scan finds them all
            data = b'{"turns":null}'
        try:
            self._sock.sendto(data, str(self.path))
        except OSError:  # not listening (restarting) or its queue is full: the scans find them
            self.lost += 1

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
