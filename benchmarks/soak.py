"""Soak: a steady rate for a long time; memory and latency must stay flat.

    python -m benchmarks.soak [--minutes 30] [--rate 20] [--users 1000] [--workers 2]
        [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/khdx_soak]

Starts the assistant (`python -m bot run --workers N`, the real model, Facebook pointed at a fake
Graph API in this process) and sends signed webhooks at a fixed rate from `--users` users (each
user's messages far enough apart that a reply belongs to the message before it). Every window
(`--window` seconds) prints: messages sent, answered, ack p50/p99, reply p50/p99, backlog
(pending rows), RSS of all workers and their agent processes. At the end: the drift of RSS and
of ack/reply p99 between the first and the last third of the run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from tempfile import TemporaryDirectory

import aiohttp
import sqlalchemy as sa
from aiohttp import web

from benchmarks.webhook_load import (
    QUESTIONS,
    SECRET,
    backlog,
    free_port,
    pct,
    rss_mb,
    wait_ready,
    webhook,
)
from bot.channels.facebook.signing import facebook_signature
from bot.db.engine import sync_url
from bot.settings import PROJECT_ROOT
from tools.simulate_day import fresh_database

REPLY_WINDOW_S = 30.0  # a user's next question comes later than this (users / rate seconds)


class Graph:
    """The fake Graph API: remembers when each user got each reply."""

    def __init__(self) -> None:
        self.replies: dict[str, list[float]] = {}
        self.count = 0

    async def messages(self, request: web.Request) -> web.Response:
        body = await request.json()
        psid = body["recipient"]["id"]
        if "message" in body:
            self.count += 1
            self.replies.setdefault(psid, []).append(time.perf_counter())
        return web.json_response({"recipient_id": psid, "message_id": f"m_{self.count}"})


@dataclass
class Window:
    started: float
    sent: int = 0
    errors: int = 0
    ack_ms: list[float] = field(default_factory=list)
    asked: list[tuple[str, float]] = field(default_factory=list)  # (psid, sent at)
    reply_ms: list[float] = field(default_factory=list)
    answered: int = 0
    backlog: int = 0
    rss_mb: float = 0.0
    kept_share: float | None = None  # turns whose tracker was kept in memory, so far


def settle(window: Window, graph: Graph) -> None:
    """Reply latency of the window's messages: the question's last reply (the replies the user
    got within REPLY_WINDOW_S of asking; the next question comes later)."""
    for psid, t0 in window.asked:
        answers = [r for r in graph.replies.get(psid, ()) if t0 < r < t0 + REPLY_WINDOW_S]
        if answers:
            window.answered += 1
            window.reply_ms.append((max(answers) - t0) * 1000)


async def soak(args: argparse.Namespace) -> list[Window]:
    graph = Graph()
    app = web.Application()
    app.router.add_post("/v21.0/me/messages", graph.messages)
    runner = web.AppRunner(app)
    await runner.setup()
    graph_port, port = free_port(), free_port()
    await web.TCPSite(runner, "127.0.0.1", graph_port).start()
    windows: list[Window] = []
    with TemporaryDirectory() as tmp:
        database_url = args.database_url or f"sqlite+aiosqlite:///{tmp}/soak.db"
        env = {
            **os.environ,
            "PORT": str(port),
            "VAR_DIR": tmp,
            "DATABASE_URL": database_url,
            "PSEUDONYM_KEY": "soak",
            "LOG_LEVEL": "WARNING",
            "FACEBOOK_APP_SECRET": SECRET,
            "FACEBOOK_VERIFY_TOKEN": "v",
            "FACEBOOK_PAGE_ACCESS_TOKEN": "t",
            "FACEBOOK_GRAPH_URL": f"http://127.0.0.1:{graph_port}/v21.0",
        }
        if args.database_url:
            fresh_database(args.database_url)
            env["REDIS_URL"] = args.redis_url
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--workers", str(args.workers)],
            cwd=PROJECT_ROOT,
            env=env,
        )
        engine = sa.create_engine(sync_url(database_url))
        try:
            await wait_ready(f"http://127.0.0.1:{port}/readyz", proc)
            await asyncio.sleep(3)
            await drive(args, graph, port, proc.pid, engine, windows)
        finally:
            proc.terminate()
            await asyncio.to_thread(proc.wait, 60)
            engine.dispose()
    await runner.cleanup()
    return windows


async def drive(
    args: argparse.Namespace,
    graph: Graph,
    port: int,
    pid: int,
    engine: sa.engine.Engine,
    windows: list[Window],
) -> None:
    psids = [f"8{i:015d}" for i in range(args.users)]
    url = f"http://127.0.0.1:{port}/webhooks/facebook"
    end = time.perf_counter() + args.minutes * 60
    interval = 1.0 / args.rate
    window = Window(time.perf_counter())
    tasks: set[asyncio.Task[None]] = set()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as session:

        async def one(w: Window, psid: str, text: str, mid: str) -> None:
            raw = webhook(psid, mid, text)
            headers = {
                "Content-Type": "application/json",
                "X-Hub-Signature-256": facebook_signature(SECRET, raw),
            }
            t0 = time.perf_counter()
            try:
                async with session.post(url, data=raw, headers=headers) as r:
                    await r.read()
                    w.ack_ms.append((time.perf_counter() - t0) * 1000)
                    if r.status == 200:
                        w.asked.append((psid, t0))
                    else:
                        w.errors += 1
            except aiohttp.ClientError:
                w.errors += 1

        i = 0
        started = time.perf_counter()
        while time.perf_counter() < end:
            delay = started + i * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            psid = psids[i % len(psids)]
            text = QUESTIONS[(i // len(psids) + i) % len(QUESTIONS)]
            task = asyncio.create_task(one(window, psid, text, f"m_soak_{i}_{random.random()}"))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            window.sent += 1
            i += 1
            if time.perf_counter() - window.started >= args.window:
                window.rss_mb = rss_mb(pid)
                window.backlog = await asyncio.to_thread(backlog, engine)
                window.kept_share = await kept_share(session, port)
                windows.append(window)
                report(window, len(windows))
                window = Window(time.perf_counter())
                # The previous window's replies have had a whole window to arrive.
                if len(windows) >= 2:
                    settle(windows[-2], graph)
        await asyncio.gather(*tasks)
        window.rss_mb = rss_mb(pid)
        window.backlog = await asyncio.to_thread(backlog, engine)
        windows.append(window)
        await asyncio.sleep(min(args.window, 30))
        if len(windows) >= 2:
            settle(windows[-2], graph)
        settle(windows[-1], graph)


async def kept_share(session: aiohttp.ClientSession, port: int) -> float | None:
    """Of the turns so far, the share whose tracker was kept in memory (one worker's figures:
    whichever took the scrape)."""
    try:
        async with session.get(f"http://127.0.0.1:{port}/metrics") as resp:
            text = await resp.text()
    except aiohttp.ClientError:
        return None
    reads = {
        source: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        for source in ("memory", "database")
        if line.startswith(f'khdx_tracker_reads_total{{source="{source}"}}')
    }
    total = sum(reads.values())
    return reads.get("memory", 0.0) / total if total else None


def report(w: Window, n: int) -> None:
    kept = f"{w.kept_share:4.0%}" if w.kept_share is not None else "   -"
    print(
        f"window {n:3d}: sent {w.sent:5d} errors {w.errors:3d} ack p50 {pct(w.ack_ms, 0.5):6.1f}"
        f" p99 {pct(w.ack_ms, 0.99):6.1f} ms  backlog {w.backlog:5d}  RSS {w.rss_mb:7.0f} MB"
        f"  trackers kept {kept}",
        flush=True,
    )


def summary(args: argparse.Namespace, windows: list[Window]) -> None:
    print(
        f"\nsoak: {args.minutes:g} min at {args.rate:g} msg/s from {args.users} users, "
        f"{args.workers} worker(s), {'PostgreSQL' if args.database_url else 'SQLite'}, "
        f"{os.cpu_count()} cores"
    )
    header = (
        "window  sent  answered  errors  ack p50  ack p99  reply p50  reply p99  backlog  RSS MB"
    )
    print(header)
    for n, w in enumerate(windows, 1):
        print(
            f"{n:6d}  {w.sent:4d}  {w.answered:8d}  {w.errors:6d}  {pct(w.ack_ms, 0.5):7.1f}"
            f"  {pct(w.ack_ms, 0.99):7.1f}  {pct(w.reply_ms, 0.5):9.0f}"
            f"  {pct(w.reply_ms, 0.99):9.0f}"
            f"  {w.backlog:7d}  {w.rss_mb:6.0f}"
        )
    third = max(1, len(windows) // 3)
    first, last = windows[1 : third + 1] or windows[:1], windows[-third:]

    def merged(ws: list[Window], attr: str) -> list[float]:
        return [v for w in ws for v in getattr(w, attr)]

    sent = sum(w.sent for w in windows)
    answered = sum(w.answered for w in windows)
    print(
        f"\nsent {sent}, answered {answered}, errors {sum(w.errors for w in windows)}; "
        f"first third -> last third: RSS {max(w.rss_mb for w in first):.0f} -> "
        f"{max(w.rss_mb for w in last):.0f} MB, ack p99 {pct(merged(first, 'ack_ms'), 0.99):.1f}"
        f" -> {pct(merged(last, 'ack_ms'), 0.99):.1f} ms, reply p99 "
        f"{pct(merged(first, 'reply_ms'), 0.99):.0f} -> "
        f"{pct(merged(last, 'reply_ms'), 0.99):.0f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=20.0, help="messages per second")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--window", type=float, default=60.0, help="seconds per line")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database-url", help="PostgreSQL (recreated); SQLite when omitted")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/4")
    args = parser.parse_args()
    if args.users / args.rate <= REPLY_WINDOW_S:
        parser.error("users / rate must exceed 30 s, so each reply belongs to one question")
    windows = asyncio.run(soak(args))
    summary(args, windows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
