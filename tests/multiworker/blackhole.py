"""A TCP proxy on loopback in front of PostgreSQL that can go silent: it stops forwarding and
accepting data without closing anything, which is what a server that died without a word (power
cut, kernel hang) or a cut network looks like to its clients. After `revive`, new connections
reach the server again; the silenced ones stay silent, as a dead server's sockets do."""

from __future__ import annotations

import asyncio
import contextlib


class Blackhole:
    def __init__(self, target_port: int = 5432) -> None:
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.AbstractServer | None = None
        self._alive = asyncio.Event()
        self._alive.set()
        self._generation = 0  # pipes of an earlier generation were silenced for good
        self._writers: list[asyncio.StreamWriter] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def url(self, database_url: str) -> str:
        """`database_url` (on the machine's PostgreSQL) through this proxy."""
        return database_url.replace(f"127.0.0.1:{self.target_port}", f"127.0.0.1:{self.port}")

    def silence(self) -> None:
        self._alive.clear()
        self._generation += 1

    def revive(self) -> None:
        self._alive.set()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in self._tasks:
            task.cancel()
        for writer in self._writers:
            writer.close()
        self._writers.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.append(writer)
        await self._alive.wait()  # a silent server accepts (the kernel does) but never answers
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._writers.append(up_writer)
        generation = self._generation
        with contextlib.suppress(OSError, asyncio.CancelledError):
            await asyncio.gather(
                self._pipe(reader, up_writer, generation),
                self._pipe(up_reader, writer, generation),
            )

    async def _pipe(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, generation: int
    ) -> None:
        while True:
            if generation != self._generation:
                await asyncio.Event().wait()  # silent for good; nothing read, nothing closed
            data = await source.read(65536)
            if not data:
                sink.close()
                return
            if generation != self._generation:
                await asyncio.Event().wait()
            sink.write(data)
            await sink.drain()
