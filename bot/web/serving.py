"""Running one server process: the gateway, a worker's turn process or the agent process.

Each stops within `stop_timeout_s` of SIGTERM or SIGINT: past it, whatever still waits (a task
that never ends, a thread on a dead database connection) is not waited for, and the process and
the processes it started are killed. Request bodies are never decompressed (bot/web/encoding.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
from pathlib import Path

from aiohttp import web
from aiohttp.web_runner import GracefulExit

from bot.web.encoding import DECOMPRESS_BODIES

log = logging.getLogger(__name__)
HANDLERS_TIMEOUT_S = 10.0  # requests being answered at SIGTERM get this long


def serve(
    app: web.Application,
    *,
    stop_timeout_s: float,
    host: str | None = None,
    port: int | None = None,
    path: str | None = None,
    reuse_port: bool = False,
    handlers_timeout_s: float = HANDLERS_TIMEOUT_S,
) -> None:
    """Serve `app` on host:port, or on the Unix socket `path`, until SIGTERM or SIGINT; it has
    stopped `stop_timeout_s` later even if something it waits on never ends (then it exits
    with 1, its children killed)."""
    loop = asyncio.new_event_loop()
    deadline = StopDeadline(stop_timeout_s)
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, deadline.begin)
    web.run_app(
        app,
        host=None if path else host,
        port=None if path else port,
        path=path,
        print=None,
        access_log=None,
        shutdown_timeout=min(handlers_timeout_s, stop_timeout_s / 2),
        # Ours, not aiohttp's: the deadline starts with the signal.
        handle_signals=False,
        reuse_port=reuse_port or None,
        loop=loop,
        auto_decompress=DECOMPRESS_BODIES,
    )


class StopDeadline:
    """The first signal starts the graceful stop and a timer that ends the process if the
    stop has not finished in time; later signals change nothing."""

    def __init__(self, limit_s: float) -> None:
        self.limit_s = limit_s
        self._timer: threading.Timer | None = None

    def begin(self) -> None:
        if self._timer is not None:
            return
        log.info("stopping (at most %g s)", self.limit_s)
        # A daemon thread: it also ends a process whose exit waits on a stuck thread.
        self._timer = threading.Timer(self.limit_s, self._expired)
        self._timer.daemon = True
        self._timer.start()
        raise GracefulExit()

    def _expired(self) -> None:
        log.error("not stopped within %g s: exiting without waiting", self.limit_s)
        for pid in descendants(os.getpid()):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        os._exit(1)


def descendants(pid: int) -> list[int]:
    """The processes `pid` started, and theirs (Linux); an agent or turn process runs in a
    session of its own, so a process group would miss it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # The command name may hold spaces or parentheses: the fields follow the last ")".
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(pid: int) -> None:
    """SIGKILL `pid` and every process it started (found before any dies: orphans move to
    another parent)."""
    for target in [pid, *descendants(pid)]:
        with contextlib.suppress(OSError):
            os.kill(target, signal.SIGKILL)
