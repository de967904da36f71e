"""Web chat reply latency with and without a retrain running in the background.

    python -m benchmarks.retrain_latency [--rate 2] [--quiet-s 60] [--max-train-s 600]

Starts the assistant (`python -m bot run`, SQLite, its agent in a child process) in a temporary
folder, on loopback. First it measures web chat replies for --quiet-s seconds with nothing else
running; then it adds five reviewed examples, asks for a retrain through the admin page, and
keeps sending messages at the same rate until the training has finished (trained and evaluated).
Prints p50/p95/max and the count of replies for each phase (quiet, training, evaluating) and the
training's duration. Messages go one at a time from several conversations, at --rate a second.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from tempfile import TemporaryDirectory

import aiohttp
import sqlalchemy as sa

from benchmarks.webhook_load import free_port
from bot.db.models import reviewed_examples
from bot.settings import PROJECT_ROOT

PASSWORD = "mat-khau-do-tre-huan-luyen"
QUESTIONS = [
    "chuyen doi so la gi",
    "VNeID mức 2 đăng ký ở đâu",
    "lam sao kich hoat vneid",
    "có người xưng công an gọi bắt chuyển tiền",
    "nop ho so truc tuyen the nao",
    "dat mat khau the nao cho an toan",
]
REVIEWED = [
    "xe buýt điện ở Nha Trang chạy tuyến nào",
    "tuyến xe buýt điện Nha Trang",
    "xe buýt điện Nha Trang đi những đâu",
    "giờ chạy xe buýt điện ở Nha Trang",
    "xe buýt điện có chạy ra sân bay Cam Ranh không",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class Chat:
    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base
        self.senders: list[str] = []

    async def open(self, conversations: int) -> None:
        for _ in range(conversations):
            async with self.session.post(f"{self.base}/webhooks/web/session") as resp:
                self.senders.append((await resp.json())["sender"])

    async def ask(self, i: int) -> float:
        started = time.perf_counter()
        body = {"sender": self.senders[i % len(self.senders)], "message": QUESTIONS[i % 6]}
        async with self.session.post(f"{self.base}/webhooks/web", json=body) as resp:
            await resp.read()
            if resp.status != 200:
                raise RuntimeError(f"web chat answered {resp.status}")
        return (time.perf_counter() - started) * 1000


async def _phase(chat: Chat, rate: float, until: object, label: str) -> dict[str, list[float]]:
    """Send at `rate`/s until `until()` returns None; latencies by what it returned."""
    found: dict[str, list[float]] = {}
    i = 0
    while True:
        phase = await until()  # type: ignore[operator]
        if phase is None:
            return found
        tick = time.perf_counter()
        found.setdefault(phase, []).append(await chat.ask(i))
        i += 1
        await asyncio.sleep(max(0.0, 1 / rate - (time.perf_counter() - tick)))


async def run(args: argparse.Namespace) -> None:
    with TemporaryDirectory(prefix="khdx-retrain-bench-") as tmp:
        var = Path(tmp) / "var"
        port = free_port()
        url = f"sqlite+aiosqlite:///{var / 'bench.db'}"
        env = {
            **os.environ,
            "PORT": str(port),
            "VAR_DIR": str(var),
            "DATABASE_URL": url,
            "ADMIN_PASSWORD": PASSWORD,
            "ADMIN_INSECURE_COOKIES": "1",
            "PSEUDONYM_KEY": "bench",
            "LOG_LEVEL": "WARNING",
            # One address sends every message: the web chat's per-address limit is lifted.
            "WEBCHAT_ADDRESS_MESSAGES_PER_MIN": "100000",
        }
        log = (Path(tmp) / "server.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log
        )
        base = f"http://127.0.0.1:{port}"
        try:
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
                deadline = time.monotonic() + 180
                while True:
                    try:
                        async with s.get(f"{base}/readyz") as resp:
                            if resp.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    if time.monotonic() > deadline:
                        raise RuntimeError("the assistant did not start")
                    await asyncio.sleep(0.5)
                chat = Chat(s, base)
                await chat.open(8)
                for i in range(6):  # warm up: first turns load lazy parts
                    await chat.ask(i)

                quiet_end = time.monotonic() + args.quiet_s

                async def quiet() -> str | None:
                    return "without retrain" if time.monotonic() < quiet_end else None

                results = await _phase(chat, args.rate, quiet, "quiet")

                engine = sa.create_engine(url.replace("+aiosqlite", ""))
                with engine.begin() as conn:
                    for text in REVIEWED:
                        conn.execute(
                            reviewed_examples.insert().values(
                                created_at=datetime.now(timezone.utc),
                                text=text,
                                intent="sector_transport",
                                group_key="bench",
                                reviewer="admin",
                                kind="assign",
                            )
                        )
                engine.dispose()
                token = await _token(s, f"{base}/admin/login")
                await s.post(
                    f"{base}/admin/login",
                    data={"csrf": token, "username": "admin", "password": PASSWORD},
                )
                token = await _token(s, f"{base}/admin/models")
                async with s.post(f"{base}/admin/models/train", data={"csrf": token}) as resp:
                    if resp.status != 200:
                        raise RuntimeError(f"training not started: {resp.status}")
                started = time.monotonic()
                final: dict[str, object] = {}

                async def training() -> str | None:
                    async with s.get(f"{base}/admin/models/progress") as resp:
                        progress = await resp.json()
                    final.update(progress)
                    if progress["state"] in {"done", "failed", "idle"}:
                        return None
                    if time.monotonic() - started > args.max_train_s:
                        return None
                    return (
                        "during training"
                        if progress["state"] != "evaluating"
                        else ("during evaluation")
                    )

                results.update(await _phase(chat, args.rate, training, "training"))
                took = time.monotonic() - started
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(f"training: {final.get('state')} in {took:.0f} s ({final.get('message')})")
    print(f"{'phase':<24} {'replies':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for phase, values in results.items():
        print(
            f"{phase:<24} {len(values):>8} {statistics.median(values):>8.0f} "
            f"{percentile(values, 0.95):>8.0f} {max(values):>8.0f}"
        )


async def _token(session: aiohttp.ClientSession, url: str) -> str:
    async with session.get(url) as resp:
        found = re.search(r'name="csrf" value="([^"]+)"', await resp.text())
    if not found:
        raise RuntimeError(f"no form at {url}")
    return found.group(1)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.retrain_latency")
    parser.add_argument("--rate", type=float, default=2.0, help="messages a second")
    parser.add_argument("--quiet-s", type=float, default=60.0, help="seconds without training")
    parser.add_argument("--max-train-s", type=float, default=900.0)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
