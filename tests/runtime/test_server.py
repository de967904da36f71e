"""`python -m bot run` as a process: no channel secrets, ready in time, stops on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT
from tests.fakes.channels import free_port

READY_BUDGET_S = 30.0
CHANNEL_VARS = (
    "FACEBOOK_APP_SECRET",
    "FACEBOOK_VERIFY_TOKEN",
    "FACEBOOK_PAGE_ACCESS_TOKEN",
    "ZALO_APP_ID",
    "ZALO_APP_SECRET",
    "ZALO_OA_SECRET_KEY",
)


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 (loopback only)
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@pytest.fixture
def server(tmp_path: Path, model_path: Path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in CHANNEL_VARS}
    env.update(
        {
            "PORT": str(port),
            "VAR_DIR": str(tmp_path / "var"),
            "PSEUDONYM_KEY": "k",
            "LOG_LEVEL": "INFO",
        }
    )
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log
        )
    try:
        yield proc, f"http://127.0.0.1:{port}", log_path
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_starts_without_channel_secrets_gets_ready_and_stops_on_sigterm(server) -> None:
    proc, base, log_path = server
    started = time.monotonic()
    status = None
    while time.monotonic() - started < 90:
        try:
            status, _ = get(f"{base}/readyz")
        except OSError:
            status = None
        if status == 200:
            break
        assert proc.poll() is None, log_path.read_text()
        time.sleep(0.2)
    ready_s = time.monotonic() - started
    assert status == 200, log_path.read_text()
    assert ready_s < READY_BUDGET_S, f"ready after {ready_s:.1f} s"

    session = urllib.request.Request(f"{base}/webhooks/web/session", data=b"", method="POST")
    with urllib.request.urlopen(session, timeout=10) as resp:  # noqa: S310
        sender = json.loads(resp.read())["sender"]
    request = urllib.request.Request(
        f"{base}/webhooks/web",
        data=json.dumps({"sender": sender, "message": "chuyen doi so la gi"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310
        body = json.loads(resp.read())
    assert "Chuyển đổi số là" in body["replies"][0]["text"]
    assert rss_mb(proc.pid) < 1200

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0
    log = log_path.read_text()
    assert "channel facebook off: FACEBOOK_APP_SECRET" in log
    assert "channel zalo off" in log
    assert "chuyen doi so" not in log  # no message text in logs
    print(f"ready in {ready_s:.1f} s")
