"""A server process killed in the middle of a turn answers the message after a restart."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from bot.channels.facebook.signing import facebook_signature
from bot.settings import PROJECT_ROOT
from tests.fakes.channels import APP_SECRET, PAGE_TOKEN, VERIFY_TOKEN, fb_text, free_port
from tests.fakes.platforms import FakeGraph, Scripted


class Server:
    def __init__(self, tmp_path: Path, graph: FakeGraph) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "PORT": str(self.port),
            "VAR_DIR": str(tmp_path / "var"),
            "PSEUDONYM_KEY": "restart-test",
            "FACEBOOK_APP_SECRET": APP_SECRET,
            "FACEBOOK_VERIFY_TOKEN": VERIFY_TOKEN,
            "FACEBOOK_PAGE_ACCESS_TOKEN": PAGE_TOKEN,
            "FACEBOOK_GRAPH_URL": graph.graph_url,
            "LOG_LEVEL": "INFO",
        }
        self.log = tmp_path / "server.log"
        self.db = tmp_path / "var" / "assistant.db"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("a") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=log,
            )

    async def ready(self, session: aiohttp.ClientSession, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None and self.proc.poll() is None, self.log.read_text()
            try:
                async with session.get(f"{self.base}/readyz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
        raise AssertionError("server not ready: " + self.log.read_text())

    def inbox(self) -> list[tuple[str, str]]:
        with sqlite3.connect(self.db) as conn:
            return conn.execute("SELECT event_id, status FROM inbox").fetchall()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def server(tmp_path: Path, graph: FakeGraph, model_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path, graph)
    yield srv
    srv.stop()


def children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status  # a zombie has exited


async def post(session: aiohttp.ClientSession, server: Server, body: dict) -> int:
    raw = json.dumps(body).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": facebook_signature(APP_SECRET, raw),
    }
    async with session.post(f"{server.base}/webhooks/facebook", data=raw, headers=headers) as resp:
        return resp.status


async def test_killed_mid_turn_then_answered_after_restart(
    server: Server, graph: FakeGraph
) -> None:
    # The typing indicator is sent when the turn starts; holding it keeps the turn in flight.
    graph.script(graph.MESSAGES, Scripted(200, {"recipient_id": "1"}, delay_s=30))
    async with aiohttp.ClientSession() as session:
        server.start()
        await server.ready(session)
        assert await post(session, server, fb_text("24680", "cam on ad", "m_kill")) == 200
        await graph.wait_for(graph.MESSAGES, 1)  # the turn has begun
        assert server.inbox() == [("m_kill", "pending")]
        assert server.proc is not None
        agents = children(server.proc.pid)
        assert len(agents) == 1  # the agent process
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(10)
        # The orphaned agent notices and exits instead of living on.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and Path(f"/proc/{agents[0]}").exists():  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        assert not alive(agents[0])
        graph.scripts.clear()

        server.start()
        await server.ready(session)
        sent = await graph.wait_messages(2, timeout=60)  # the answer, then the consent notice
        await asyncio.sleep(1.0)
    assert [r.body["recipient"]["id"] for r in graph.messages()] == ["24680", "24680"]
    assert sent[0].body["message"]["text"].startswith("Không có gì")
    assert server.inbox() == [("m_kill", "done")]


async def test_sigterm_during_traffic_exits_cleanly_and_loses_nothing(
    server: Server, graph: FakeGraph
) -> None:
    async with aiohttp.ClientSession() as session:
        server.start()
        await server.ready(session)
        statuses = await asyncio.gather(
            *(post(session, server, fb_text(f"9{i}", "cam on", f"m_t{i}")) for i in range(20))
        )
        assert statuses == [200] * 20
        assert server.proc is not None
        started = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        # Waited for on a thread: the fake Graph API runs on this loop and must keep answering.
        code = await asyncio.to_thread(server.proc.wait, 30)
        elapsed = time.monotonic() - started
    assert code == 0, server.log.read_text()
    assert elapsed < 20
    rows = server.inbox()
    assert len(rows) == 20  # every acknowledged event is stored...
    assert {status for _, status in rows} <= {"done", "pending"}  # ...answered or still pending
    assert "Task was destroyed but it is pending" not in server.log.read_text()
