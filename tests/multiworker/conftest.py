"""Shared by the multi-worker tests: a fresh database on the machine's PostgreSQL (or a
PostgreSQL server of the test's own, to restart), a redis-server of the test's own (to stop and
start), the fake Graph API, and the workers started as `python -m bot run --workers N`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa

from bot.channels.facebook.signing import facebook_signature
from bot.settings import PROJECT_ROOT
from bot.web.serving import descendants, kill_tree
from tests.fakes.channels import APP_SECRET, PAGE_TOKEN, VERIFY_TOKEN, fb_text, free_port
from tests.fakes.platforms import FakeGraph
from tests.fakes.postgres import fresh_databases, pg_up

STOP_WAIT_S = 60  # SIGTERM, then this long before everything the test started is killed
ANSWER_WITHIN_S = 60  # a webhook's answer, 200 or 503, on the slowest machine
# Every `python -m bot run` a test started, with the marker in its environment that the
# processes it starts inherit: none outlives its test, whatever the test did.
_started: list[tuple[subprocess.Popen[bytes], str]] = []
TREE_MARKER = "KHDX_TEST_TREE"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if pg_up() and shutil.which("redis-server"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL and redis-server")
    for item in items:
        if "multiworker" in item.nodeid:
            item.add_marker(skip)


@pytest.fixture
def database() -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL, as a SQLAlchemy URL (psycopg2)."""
    with fresh_databases("khdx_mw") as make:
        yield make()


class Redis:
    """A redis-server of the test's own, so it can be stopped and started again."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.dir = tmp_path / "redis"
        self.dir.mkdir()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if (
                subprocess.run(
                    ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True
                ).stdout.strip()
                == "PONG"
            ):
                return
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[Redis]:
    server = Redis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    fake = FakeGraph()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture(autouse=True)
def no_process_left() -> Iterator[None]:
    """After each test (passed, failed or timed out), the workers it started and the
    processes they started are gone: SIGTERM, a grace period, then SIGKILL to all of them."""
    yield
    while _started:
        proc, marker = _started.pop()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                kill_tree(proc.pid)
                proc.wait()
        # A turn process whose gateway died has another parent now: found by its marker.
        for pid in marked(marker):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def left_running(proc: subprocess.Popen[bytes]) -> list[int]:
    """The processes of `proc`'s tree (itself, its workers, their turn processes) still running."""
    return [pid for started, marker in _started if started is proc for pid in marked(marker)]


def marked(marker: str) -> list[int]:
    """The running processes whose environment holds `marker`."""
    needle = f"{TREE_MARKER}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
    return found


def start_workers(
    tmp_path: Path,
    database: str,
    redis_url: str,
    graph: FakeGraph,
    workers: int,
    **extra_env: str,
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    marker = uuid.uuid4().hex
    env = {
        **os.environ,
        "PORT": str(port),
        "VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": database.replace("+psycopg2", "+asyncpg"),
        "REDIS_URL": redis_url,
        "PSEUDONYM_KEY": "multi-worker-test",
        "FACEBOOK_APP_SECRET": APP_SECRET,
        "FACEBOOK_VERIFY_TOKEN": VERIFY_TOKEN,
        "FACEBOOK_PAGE_ACCESS_TOKEN": PAGE_TOKEN,
        "FACEBOOK_GRAPH_URL": graph.graph_url,
        TREE_MARKER: marker,
        **extra_env,
    }
    log = (tmp_path / "workers.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--workers", str(workers)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    _started.append((proc, marker))
    return proc, port


async def wait_ready(session: aiohttp.ClientSession, port: int, workers: int) -> None:
    """Ready when /readyz answers 200 from every worker (the kernel spreads connections)."""
    deadline = time.monotonic() + 120
    ready_pids: set[str] = set()
    while time.monotonic() < deadline:
        try:
            async with session.get(f"http://127.0.0.1:{port}/readyz") as resp:
                if resp.status == 200:
                    ready_pids.add(resp.headers.get("X-Worker", "?"))
                    if len(ready_pids) >= 1:
                        await asyncio.sleep(3)  # the second worker loads its model meanwhile
                        return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.3)
    raise TimeoutError("workers not ready")


async def post(session: aiohttp.ClientSession, port: int, psid: str, text: str, mid: str) -> int:
    raw = json.dumps(fb_text(psid, text, mid)).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": facebook_signature(APP_SECRET, raw),
    }
    # A webhook never answered fails the test here, not at the suite's timeout.
    async with session.post(
        f"http://127.0.0.1:{port}/webhooks/facebook",
        data=raw,
        headers=headers,
        timeout=aiohttp.ClientTimeout(total=ANSWER_WITHIN_S),
    ) as resp:
        return resp.status


def rows(database: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(database)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


async def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then wait on a thread: the fake Graph API on this loop keeps answering. Past
    STOP_WAIT_S, the workers and everything they started are killed."""
    tree = [proc.pid, *descendants(proc.pid)]
    proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.to_thread(proc.wait, STOP_WAIT_S)
    except subprocess.TimeoutExpired:
        for pid in tree:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        proc.wait()


def kill_connections(database: str) -> int:
    """Every connection to the database dies (what a network cut or failover does)."""
    url = sa.engine.make_url(database)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            killed = conn.execute(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = :db AND pid <> pg_backend_pid()"
                ),
                {"db": url.database},
            ).scalar_one()
        return int(killed)
    finally:
        admin.dispose()


async def deliver(
    session: aiohttp.ClientSession, port: int, psid: str, text: str, mid: str
) -> int:
    """As a platform does: redeliver after a 503 until the webhook is acknowledged."""
    for _ in range(60):
        status = await post(session, port, psid, text, mid)
        assert status in (200, 503), status  # never a 500
        if status == 200:
            return 200
        await asyncio.sleep(0.5)
    return 503


class OwnPostgres:
    """A PostgreSQL server of the test's own (initdb in a temporary directory, its own port),
    so that a test can stop and restart it while the workers run, as an operator or a crash
    would, without touching the machine's server."""

    BIN = Path("/usr/lib/postgresql/15/bin")

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="khdx-pg-"))
        self.dir.chmod(0o755)
        self.data = self.dir / "data"

    def _run(self, *args: str) -> None:
        tool = str(self.BIN / args[0]) if (self.BIN / args[0]).exists() else args[0]
        command = [tool, *args[1:]]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            shutil.chown(self.dir, "postgres")
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.dir / "log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def _can_own_postgres() -> bool:
    return (OwnPostgres.BIN / "initdb").exists() or bool(shutil.which("initdb"))


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    if not _can_own_postgres():
        pytest.skip("needs PostgreSQL's initdb and pg_ctl")
    server = OwnPostgres()
    server.init()
    server.start()
    yield server
    server.remove()
