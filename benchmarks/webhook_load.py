"""End-to-end load benchmark: signed Facebook webhooks in, fake Graph API out, the real model.

    python -m benchmarks.webhook_load [--messages 2000] [--rate 150] [--users 500]
        [--workers 1,2 --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/khdx_bench]
        [--skip-rasa]

Starts, on this machine only (loopback):
  - a fake Graph API (this process) that numbers the replies it receives and notes their time;
  - the assistant (`python -m bot run --workers N`, SQLite, or PostgreSQL + Redis when
    --database-url is given; the Facebook channel pointed at the fake);
  - for comparison, plain `rasa run --enable-api` (REST channel) with the rasa_sdk action server,
    serving the same model, driven with the same messages at the same rate.
Message i comes from user i % users (so each user asks several questions in turn), open loop
at a fixed rate. Prints messages/s answered end to end, ack latency p50/p99 (time to the
webhook's 200), reply latency p50/p99 (webhook sent -> its last reply at the fake Graph API),
errors and RSS (all processes); then an audit from the database and the fake: messages
acknowledged and stored, answered, lost, sent twice, users whose replies came out of order.
Bounded in count and time; it stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory

import aiohttp
import sqlalchemy as sa
from aiohttp import web

from bot.channels.facebook.signing import facebook_signature
from bot.db.engine import sync_url
from bot.settings import PROJECT_ROOT
from tools.simulate_day import fresh_database

SECRET = "bench-secret"
PAGE = "100000000000001"
QUESTIONS = [
    "chuyen doi so la gi",
    "VNeID mức 2 đăng ký ở đâu",
    "cdso la j z ad",
    "lam sao kich hoat vneid",
    "có người xưng công an gọi bắt chuyển tiền",
    "cam on ad",
    "gia vang hom nay",
    "nop ho so truc tuyen the nao",
    "dat mat khau the nao cho an toan",
    "xin chào",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the gateway's agent process)."""
    total = 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return total
    return total + sum(rss_mb(int(child)) for child in children)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Result:
    name: str
    sent: int = 0
    answered: int = 0
    errors: int = 0
    ack_ms: list[float] = field(default_factory=list)
    ack_at: list[float] = field(default_factory=list)  # when each ack's request left (s)
    reply_ms: list[float] = field(default_factory=list)
    duration_s: float = 0.0
    rss_mb: float = 0.0

    def row(self) -> list[str]:
        rate = self.answered / self.duration_s if self.duration_s else 0.0
        return [
            self.name,
            f"{self.sent}",
            f"{self.answered}",
            f"{rate:.1f}",
            f"{pct(self.ack_ms, 0.5):.1f}" if self.ack_ms else "-",
            f"{pct(self.ack_ms, 0.99):.1f}" if self.ack_ms else "-",
            f"{pct(self.reply_ms, 0.5):.0f}",
            f"{pct(self.reply_ms, 0.99):.0f}",
            f"{self.errors}",
            f"{self.rss_mb:.0f}",
        ]


class FakeGraph:
    """Numbers the replies it receives (m_1, m_2...) and notes when each arrived."""

    def __init__(self) -> None:
        self.received_at: dict[str, float] = {}
        self.count = 0

    async def messages(self, request: web.Request) -> web.Response:
        body = await request.json()
        psid = body["recipient"]["id"]
        if "message" not in body:  # a typing indicator
            return web.json_response({"recipient_id": psid})
        self.count += 1
        mid = f"m_{self.count}"
        self.received_at[mid] = time.perf_counter()
        return web.json_response({"recipient_id": psid, "message_id": mid})

    def reset(self) -> None:
        self.received_at.clear()
        self.count = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v21.0/me/messages", self.messages)
        return app


def webhook(psid: str, mid: str, text: str) -> bytes:
    body = {
        "object": "page",
        "entry": [
            {
                "id": PAGE,
                "time": 1,
                "messaging": [
                    {
                        "sender": {"id": psid},
                        "recipient": {"id": PAGE},
                        "timestamp": 1,
                        "message": {"mid": mid, "text": text},
                    }
                ],
            }
        ],
    }
    return json.dumps(body).encode()


async def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{url} exited")
            try:
                async with session.get(url) as resp:
                    if resp.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.3)
    raise RuntimeError(f"{url} not ready")


@dataclass
class Audit:
    """What the database and the fake Graph API say after the run."""

    stored: int = 0
    answered: int = 0
    lost: int = 0
    sent_twice: int = 0
    out_of_order: int = 0
    unsettled: int = 0

    def line(self) -> str:
        return (
            f"acknowledged and stored {self.stored}, answered {self.answered}, "
            f"lost {self.lost}, sent twice {self.sent_twice}, users out of order "
            f"{self.out_of_order}, left unsettled {self.unsettled}"
        )


def backlog(engine: sa.engine.Engine) -> int:
    """Rows still to answer or to send."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text(
                    "SELECT (SELECT count(*) FROM inbox WHERE status = 'pending')"
                    " + (SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending'))"
                )
            ).scalar_one()
        )


def audit(
    engine: sa.engine.Engine, graph: FakeGraph, sent_at: dict[str, float], result: Result
) -> Audit:
    """Every acknowledged message stored once and answered, no reply received twice, replies
    in question order per user; reply latency = webhook sent -> its last reply received."""
    with engine.connect() as conn:
        inbox = conn.execute(sa.text("SELECT id, event_id, user_ref FROM inbox")).all()
        out = conn.execute(
            sa.text(
                "SELECT inbox_id, platform_message_id, status FROM outbox"
                " WHERE inbox_id IS NOT NULL ORDER BY id"
            )
        ).all()
    report = Audit(stored=len({r.event_id for r in inbox}))
    report.lost = len(set(sent_at) - {r.event_id for r in inbox})
    replies: dict[int, list[str]] = {}
    for row in out:
        if row.status == "sent" and row.platform_message_id:
            replies.setdefault(row.inbox_id, []).append(row.platform_message_id)
        elif row.status in ("pending", "sending"):
            report.unsettled += 1
    sent_rows = sum(len(v) for v in replies.values())
    report.sent_twice = max(0, graph.count - sent_rows)
    by_user: dict[str, list[tuple[int, int]]] = {}
    for row in inbox:
        mids = replies.get(row.id)
        if not mids:
            continue
        report.answered += 1
        last = max(graph.received_at.get(m, 0.0) for m in mids)
        if row.event_id in sent_at and last:
            result.reply_ms.append((last - sent_at[row.event_id]) * 1000)
        for mid in mids:
            by_user.setdefault(row.user_ref, []).append((int(mid[2:]), row.id))
    for pairs in by_user.values():
        order = [inbox_id for _, inbox_id in sorted(pairs)]
        report.out_of_order += order != sorted(order)
    return report


async def drive_gateway(
    args: argparse.Namespace, graph: FakeGraph, base: str, pid: int, database_url: str
) -> tuple[Result, Audit]:
    """`args.messages` webhooks from `args.users` users (user i % users sends message i), at
    `args.rate` per second, open loop."""
    result = Result("gateway (this project)")
    sent_at: dict[str, float] = {}
    psids = [f"7{i:015d}" for i in range(args.users)]
    plan = [
        (psids[i % args.users], QUESTIONS[(i // args.users + i) % len(QUESTIONS)])
        for i in range(args.messages)
    ]
    connector = aiohttp.TCPConnector(limit=200)
    engine = sa.create_engine(sync_url(database_url))
    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(psid: str, text: str, mid: str) -> None:
            raw = webhook(psid, mid, text)
            headers = {
                "Content-Type": "application/json",
                "X-Hub-Signature-256": facebook_signature(SECRET, raw),
            }
            t0 = time.perf_counter()
            try:
                async with session.post(
                    f"{base}/webhooks/facebook", data=raw, headers=headers
                ) as r:
                    await r.read()
                    result.ack_ms.append((time.perf_counter() - t0) * 1000)
                    result.ack_at.append(t0 - started)
                    if r.status == 200:
                        sent_at[mid] = t0
                    else:
                        result.errors += 1
            except aiohttp.ClientError:
                result.errors += 1

        tasks = []
        interval = 1.0 / args.rate
        for i, (psid, text) in enumerate(plan):
            target = started + i * interval
            delay = target - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(psid, text, f"m_bench_{i}_{random.random()}")))
            result.sent += 1
            if i % 200 == 0:
                result.rss_mb = max(result.rss_mb, rss_mb(pid))
        await asyncio.gather(*tasks)
        # Wait for the backlog to drain (bounded).
        deadline = time.monotonic() + args.drain_timeout
        while time.monotonic() < deadline and await asyncio.to_thread(backlog, engine):
            await asyncio.sleep(0.5)
            result.rss_mb = max(result.rss_mb, rss_mb(pid))
        await asyncio.sleep(0.5)
    report = audit(engine, graph, sent_at, result)
    engine.dispose()
    last = max(graph.received_at.values(), default=started)
    result.duration_s = last - started
    result.answered = report.answered
    return result, report


async def drive_rasa(args: argparse.Namespace, base: str, pid: int) -> Result:
    result = Result("rasa run --enable-api (REST)")
    connector = aiohttp.TCPConnector(limit=200)
    started = time.perf_counter()
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=args.drain_timeout)
    ) as session:

        async def one(sender: str, text: str) -> None:
            t0 = time.perf_counter()
            try:
                async with session.post(
                    f"{base}/webhooks/rest/webhook", json={"sender": sender, "message": text}
                ) as r:
                    body = await r.json(content_type=None)
                    if r.status == 200 and body:
                        result.answered += 1
                        result.reply_ms.append((time.perf_counter() - t0) * 1000)
                    else:
                        result.errors += 1
            except (aiohttp.ClientError, asyncio.TimeoutError):
                result.errors += 1

        tasks = []
        interval = 1.0 / args.rate
        for i in range(args.messages):
            target = started + i * interval
            delay = target - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sender = f"u{i % args.users}-{i // args.users}"
            tasks.append(asyncio.create_task(one(sender, QUESTIONS[i % len(QUESTIONS)])))
            result.sent += 1
            if i % 50 == 0:
                result.rss_mb = max(result.rss_mb, rss_mb(pid))
        await asyncio.gather(*tasks)
    result.duration_s = time.perf_counter() - started
    return result


async def main_async(args: argparse.Namespace) -> tuple[list[Result], list[tuple[str, Audit]]]:
    results: list[Result] = []
    audits: list[tuple[str, Audit]] = []
    graph = FakeGraph()
    runner = web.AppRunner(graph.app())
    await runner.setup()
    graph_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", graph_port).start()
    py = sys.executable
    with TemporaryDirectory() as tmp:
        for workers in [int(w) for w in str(args.workers).split(",")]:
            port = free_port()
            env = {
                **os.environ,
                "PORT": str(port),
                "VAR_DIR": tmp,
                "PSEUDONYM_KEY": "bench",
                "LOG_LEVEL": "WARNING",
                "FACEBOOK_APP_SECRET": SECRET,
                "FACEBOOK_VERIFY_TOKEN": "v",
                "FACEBOOK_PAGE_ACCESS_TOKEN": "t",
                "FACEBOOK_GRAPH_URL": f"http://127.0.0.1:{graph_port}/v21.0",
            }
            name = "this gateway"
            if args.database_url:
                fresh_database(args.database_url)
                env["DATABASE_URL"] = args.database_url
                env["REDIS_URL"] = args.redis_url
                name = f"gateway, {workers} worker{'s' if workers > 1 else ''}, PostgreSQL"
            else:
                env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp}/bench-{workers}.db"
            command = [py, "-m", "bot", "run", "--workers", str(workers)]
            proc = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env)
            try:
                await wait_ready(f"http://127.0.0.1:{port}/readyz", proc)
                await asyncio.sleep(3 if workers > 1 else 1)  # every worker's model loaded
                result, report = await drive_gateway(
                    args, graph, f"http://127.0.0.1:{port}", proc.pid, env["DATABASE_URL"]
                )
                result.name = name
                results.append(result)
                audits.append((name, report))
            finally:
                proc.terminate()
                proc.wait(60)
            graph.reset()

        if not args.skip_rasa:
            action_port, rasa_port = free_port(), free_port()
            endpoints = Path(tmp) / "endpoints.yml"
            endpoints.write_text(
                f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
            )
            rasa_env = {
                **os.environ,
                "RASA_TELEMETRY_ENABLED": "false",
                "PYTHONPATH": str(PROJECT_ROOT),
            }
            actions = subprocess.Popen(
                [py, "-m", "rasa_sdk", "--actions", "actions", "--port", str(action_port)],
                cwd=PROJECT_ROOT,
                env=rasa_env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            rasa = subprocess.Popen(
                [
                    py,
                    "-m",
                    "rasa",
                    "run",
                    "--enable-api",
                    "--port",
                    str(rasa_port),
                    "-m",
                    str(PROJECT_ROOT / "models" / "assistant.tar.gz"),
                    "--endpoints",
                    str(endpoints),
                ],
                cwd=PROJECT_ROOT,
                env=rasa_env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                await wait_ready(f"http://127.0.0.1:{rasa_port}/status", rasa, timeout=180)
                await wait_ready(f"http://127.0.0.1:{action_port}/health", actions)
                await asyncio.sleep(1)
                results.append(await drive_rasa(args, f"http://127.0.0.1:{rasa_port}", rasa.pid))
            finally:
                for p in (rasa, actions):
                    p.terminate()
                    p.wait(30)
    await runner.cleanup()
    return results, audits


def ack_timeline(result: Result, window_s: float = 20.0) -> str:
    """Ack p99 and the slowest ack per window of the run: slow acks spread evenly or bunched
    (a checkpoint, a vacuum, a burst of turn work)?"""
    windows: dict[int, list[float]] = {}
    for at, ms in zip(result.ack_at, result.ack_ms, strict=True):
        windows.setdefault(int(at // window_s), []).append(ms)
    cells = [
        f"{int(k * window_s)}s: {pct(v, 0.99):.0f}/{max(v):.0f}"
        for k, v in sorted(windows.items())
    ]
    return f"ack p99/max per {window_s:.0f} s, ms: " + ", ".join(cells)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=150.0, help="messages per second offered")
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--drain-timeout", type=float, default=180.0)
    parser.add_argument("--skip-rasa", action="store_true", help="only the gateway")
    parser.add_argument(
        "--workers", default="1", help="worker counts to measure, e.g. 1,2 (2+ need PostgreSQL)"
    )
    parser.add_argument(
        "--database-url",
        help="postgresql+asyncpg://postgres@127.0.0.1:5432/khdx_bench (recreated for each run)",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    args = parser.parse_args()
    results, audits = asyncio.run(main_async(args))
    header = [
        "server",
        "sent",
        "answered",
        "msg/s",
        "ack p50",
        "ack p99",
        "reply p50",
        "reply p99",
        "errors",
        "RSS MB",
    ]
    widths = [max(len(h), *(len(r.row()[i]) for r in results)) for i, h in enumerate(header)]
    print()
    print(
        f"{args.messages} messages offered at {args.rate:.0f}/s from {args.users} users "
        f"({os.cpu_count()} cores); latencies in ms"
    )
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for r in results:
        print("  ".join(c.ljust(w) for c, w in zip(r.row(), widths, strict=True)))
    for name, report in audits:
        print(f"{name}: {report.line()}")
    if results and results[0].ack_ms:
        print(f"\ngateway ack latency mean {statistics.fmean(results[0].ack_ms):.1f} ms")
        print(ack_timeline(results[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
