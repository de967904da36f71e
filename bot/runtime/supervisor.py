"""`python -m bot run --workers N`: N server processes on one port (SO_REUSEPORT), supervised.

Each worker is a whole gateway (webhooks, dispatcher, relay, its own agent process). They share
PostgreSQL (inbox, outbox, tracker store) and Redis (who handles which conversation, Rasa's lock
store, the Zalo token refresh), so the kernel may hand any webhook to any worker; behind nginx
or any load balancer the same holds. The supervisor applies migrations once, restarts a worker
that dies, and on SIGTERM stops them all within the shutdown timeout.

Each process (a worker, or a single server) stops within STOP_TIMEOUT_S of SIGTERM: past it,
whatever still waits (a task that never ends, a thread on a dead database connection) is not
waited for, and the process and the processes it started are killed (bot/web/serving.py).
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from types import FrameType

from bot.db.migrate import upgrade
from bot.pipeline.hints import HINTS_DIR_ENV, WORKERS_ENV
from bot.settings import Settings
from bot.web.serving import kill_tree

log = logging.getLogger(__name__)
# Beyond a worker's own STOP_TIMEOUT_S: the time to kill its children and exit.
STOP_GRACE_S = 5.0
RESTART_BACKOFF_S = 2.0


def check(settings: Settings, workers: int) -> str | None:
    """Why `workers` processes cannot run with these settings, or None."""
    if workers < 2:
        return None
    if settings.is_sqlite:
        return "several workers need DATABASE_URL=postgresql+asyncpg://... (SQLite is one process)"
    if not settings.redis_url:
        return "several workers need REDIS_URL (conversation locks, Rasa's lock store)"
    return None


def supervise(settings: Settings, workers: int, argv: list[str]) -> int:
    upgrade(settings.database_url)  # once, before the workers race for it
    command = [sys.executable, "-m", "bot", "run", "--reuse-port", *argv]
    procs: dict[int, subprocess.Popen[bytes]] = {}
    stopping = False
    # The turn processes listen here, one socket per worker index, so that any gateway can
    # hint a conversation's turns to the worker that owns it (bot/pipeline/hints.py).
    hints_dir = tempfile.mkdtemp(prefix="khdx-turns-")
    base_env = {**os.environ, HINTS_DIR_ENV: hints_dir, WORKERS_ENV: str(workers)}
    # Each worker's id is host:index (bot/pipeline/claims.py); one WORKER_ID would merge them.
    base_env.pop("WORKER_ID", None)

    def start(index: int) -> None:
        env = {**base_env, "WORKER_INDEX": str(index)}
        procs[index] = subprocess.Popen(command, env=env)  # noqa: S603
        log.info("worker %d started (pid %d)", index, procs[index].pid)

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for index in range(workers):
        start(index)
    while not stopping:
        time.sleep(0.5)
        for index, proc in list(procs.items()):
            if proc.poll() is not None and not stopping:
                log.error("worker %d exited with %s; restarting", index, proc.returncode)
                time.sleep(RESTART_BACKOFF_S)
                start(index)
    # A worker finishes its running turns and sends first, within its own STOP_TIMEOUT_S.
    deadline = time.monotonic() + settings.stop_timeout_s + STOP_GRACE_S
    for index, proc in procs.items():
        remaining = max(0.1, deadline - time.monotonic())
        try:
            proc.wait(remaining)
        except subprocess.TimeoutExpired:
            log.error("worker %d did not stop in time: killed", index)
            kill_tree(proc.pid)
            proc.wait()
    shutil.rmtree(hints_dir, ignore_errors=True)
    log.info("all workers stopped")
    return 0
