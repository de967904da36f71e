"""Hints from gateways to turn processes (bot/pipeline/hints.py): with the supervisor's workers, a
conversation's turns go to the turn process of the worker that owns it, over real Unix
datagram sockets."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.pipeline.hints import AFFINITY_LEASE, Affinity, Key, TurnsLink, listen, owner
from bot.settings import Settings, worker_id


class Recorder:
    """Stands in for a turn process's dispatcher and relay: what the hints woke."""

    def __init__(self, room: bool = True) -> None:
        self.room = room
        self.turns: list[Key | None] = []

    def has_room(self) -> bool:
        return self.room

    def wake(self, conversation: Key | None = None) -> None:
        self.turns.append(conversation)


class Relay:
    def __init__(self) -> None:
        self.sends: list[Key | None] = []

    def wake(self, conversation: Key | None = None) -> None:
        self.sends.append(conversation)


@pytest.fixture
def hints_dir() -> Iterator[Path]:
    # Short: a Unix socket path must fit in 108 bytes, pytest's tmp_path may not.
    path = Path(tempfile.mkdtemp(prefix="khdx-t-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def conversations(n: int) -> list[Key]:
    return [("facebook", f"u_{i:05d}") for i in range(n)]


def test_owner_spreads_conversations_and_is_the_same_in_every_process() -> None:
    keys = conversations(2000)
    owners = [owner(key, 2) for key in keys]
    assert 900 < owners.count(0) < 1100
    assert [owner(key, 3) for key in keys].count(2) > 550
    # Another process (another hash seed) must pick the same owners: not Python's hash().
    code = (
        "from bot.pipeline.hints import owner;"
        "print(''.join(str(owner(('facebook', f'u_{i:05d}'), 2)) for i in range(200)))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert other == "".join(str(o) for o in owners[:200])


async def test_turns_go_to_the_turn_process_of_the_owning_worker(hints_dir: Path) -> None:
    affinity = Affinity(hints_dir, workers=2, index=0)
    intakes, relays = [Recorder(), Recorder()], [Relay(), Relay()]
    transports = [await listen(affinity.socket(i), intakes[i], relays[i]) for i in range(2)]
    link = TurnsLink(affinity.own_socket, affinity)
    try:
        keys = conversations(40)
        link.offer(keys, claimed=False)
        link.wake(keys[0])
        await asyncio.sleep(0.2)
        for i in range(2):
            assert intakes[i].turns == [k for k in keys if owner(k, 2) == i]
        assert relays[owner(keys[0], 2)].sends == [keys[0]]
        # Rows are stored claimed by the owner, for a short lease only.
        claim = link.claim()
        assert claim is not None
        assert claim(keys[0]) == (worker_id(owner(keys[0], 2)), AFFINITY_LEASE)
        assert link.lost == 0
    finally:
        link.close()
        for transport in transports:
            transport.close()


async def test_owner_restarting_its_turns_start_here_and_without_any_the_scans_find_them(
    hints_dir: Path,
) -> None:
    affinity = Affinity(hints_dir, workers=2, index=0)
    own, relay = Recorder(), Relay()
    transport = await listen(affinity.own_socket, own, relay)  # worker 1 is not listening
    link = TurnsLink(affinity.own_socket, affinity)
    theirs = [k for k in conversations(20) if owner(k, 2) == 1]
    try:
        link.offer(theirs, claimed=False)
        await asyncio.sleep(0.2)
        assert own.turns == theirs and link.lost == 0
    finally:
        transport.close()
    await asyncio.sleep(0.05)  # the transport closes its socket on the next loop turn
    link.offer(theirs, claimed=False)  # nobody listens now
    assert link.lost == 1
    link.close()


def test_without_the_supervisor_a_gateway_hints_its_own_turn_process(hints_dir: Path) -> None:
    assert Affinity.from_settings(Settings.from_env({})) is None
    env = {"KHDX_TURN_HINTS_DIR": str(hints_dir), "KHDX_WORKERS": "2", "WORKER_INDEX": "1"}
    assert Affinity.from_settings(Settings.from_env(env)) == Affinity(hints_dir, 2, 1)
    link = TurnsLink(hints_dir / "own.sock")
    assert link.claim() is None  # unclaimed: the turn process decides, or another worker
    link.close()
