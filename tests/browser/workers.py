"""Web chat on a chosen worker of `python -m bot run --workers N`: the workers share one port
(SO_REUSEPORT) and the kernel hands each new connection to one of them, so a test opens
connections until one is accepted by the worker it wants (read from /proc: which process holds
the accepted socket), then talks on that connection."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.web.serving import descendants

ANSWER_WITHIN_S = 60  # one web chat turn, on a loaded machine
TRIES = 60  # connections opened to reach one worker (each lands on a given one half the time)


def _parent(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def _socket_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server's end of the loopback connection from `client_port`."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local, remote, inode = fields[1], fields[2], fields[9]
                if (
                    int(local.rsplit(":", 1)[1], 16) == server_port
                    and int(remote.rsplit(":", 1)[1], 16) == client_port
                ):
                    return inode
    return None


def _holder(pids: list[int], inode: str) -> int | None:
    target = f"socket:[{inode}]"
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) == target:
                        return pid
    return None


class Connection:
    """One kept-alive HTTP/1.1 connection (the workers answer with Content-Length)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @property
    def local_port(self) -> int:
        return int(self.writer.get_extra_info("sockname")[1])

    async def request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else b""
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
        )
        self.writer.write(head.encode() + data)
        await self.writer.drain()
        status_line = await asyncio.wait_for(self.reader.readline(), ANSWER_WITHIN_S)
        status = int(status_line.split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


@dataclass
class Workers:
    port: int
    supervisor: int

    def pids(self) -> list[int]:
        """The workers: the supervisor's children (their agent processes are grandchildren)."""
        found = []
        for pid in descendants(self.supervisor):
            with contextlib.suppress(OSError, ValueError):
                if _parent(pid) == self.supervisor:
                    found.append(pid)
        return sorted(found)

    async def all_ready(self, within_s: float = 180) -> None:
        """Every worker answers /readyz with 200 (under load one loads its model much later)."""
        deadline = asyncio.get_running_loop().time() + within_s
        for pid in self.pids():
            while True:
                async with self.on(pid) as connection:
                    status, _ = await connection.request("GET", "/readyz")
                if status == 200:
                    break
                assert asyncio.get_running_loop().time() < deadline, f"worker {pid} not ready"
                await asyncio.sleep(0.5)

    def worker_of(self, connection: Connection) -> int | None:
        """The worker that accepted `connection` (once it answered on it)."""
        inode = _socket_inode(self.port, connection.local_port)
        return _holder(self.pids(), inode) if inode else None

    @contextlib.asynccontextmanager
    async def on(self, pid: int) -> AsyncIterator[Connection]:
        """A connection that the worker `pid` accepted."""
        for _ in range(TRIES):
            connection = Connection(*await asyncio.open_connection("127.0.0.1", self.port))
            status, _ = await connection.request("GET", "/healthz")
            if status == 200 and self.worker_of(connection) == pid:
                try:
                    yield connection
                finally:
                    await connection.close()
                return
            await connection.close()
        raise AssertionError(f"no connection reached worker {pid} in {TRIES} tries")


@dataclass
class Citizen:
    worker: int
    sender: str


async def _post(
    workers: Workers, connection: Connection, path: str, body: dict[str, Any], pid: int
) -> dict[str, Any]:
    status, raw = await connection.request("POST", path, body)
    assert status == 200, raw.decode()
    assert workers.worker_of(connection) == pid, "the connection moved to another worker"
    return dict(json.loads(raw))


async def first_reply(workers: Workers, pid: int, text: str) -> str:
    """`text` asked on worker `pid` by a new citizen (who has not agreed to be recorded): the
    first reply's text."""
    async with workers.on(pid) as conn:
        sender = (await _post(workers, conn, "/webhooks/web/session", {}, pid))["sender"]
        body = {"sender": sender, "message": text}
        answer = await _post(workers, conn, "/webhooks/web", body, pid)
    return str(answer["replies"][0]["text"]) if answer["replies"] else ""


async def ask_on_every_worker(workers: Workers, text: str) -> dict[int, str]:
    """Worker pid -> the first reply a new citizen got there for `text`."""
    return {pid: await first_reply(workers, pid, text) for pid in workers.pids()}


async def consenting_citizen(workers: Workers, pid: int) -> Citizen:
    """A citizen on worker `pid` who agreed that their questions are kept (the review queue
    holds only those)."""
    async with workers.on(pid) as conn:
        sender = (await _post(workers, conn, "/webhooks/web/session", {}, pid))["sender"]
        body = {"sender": sender, "message": "/consent_accept"}
        answer = await _post(workers, conn, "/webhooks/web", body, pid)
    assert "Cảm ơn bạn" in answer["replies"][0]["text"], answer
    return Citizen(pid, answer["sender"])


async def say(workers: Workers, citizen: Citizen, text: str) -> list[str]:
    async with workers.on(citizen.worker) as conn:
        body = {"sender": citizen.sender, "message": text}
        answer = await _post(workers, conn, "/webhooks/web", body, citizen.worker)
    citizen.sender = answer["sender"]
    return [str(r["text"]) for r in answer["replies"]]
