"""`python -m bot review`: the review queue's groups from the configured database, as JSON for
scripts and as a short table for people."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bot.db.migrate import upgrade
from bot.settings import PROJECT_ROOT

QUESTIONS = [
    "Làm sao cài VNeID?",
    "lam sao cai vneid",
    "ko cài dc vneid ạ",
    "đổi căn cước ở đâu",
    "/dx_what_is",  # a button: never in the queue
]


def run_bot(*args: str, database_url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "VAR_DIR": str(tmp_path / "var"),
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def database(tmp_path: Path) -> str:
    path = tmp_path / "cli.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    when = datetime.now(timezone.utc) - timedelta(hours=2)
    with sqlite3.connect(path) as conn:
        for text in QUESTIONS:
            conn.execute(
                "INSERT INTO messages (created_at, channel, user_ref, direction, intent,"
                " confidence, fallback, text) VALUES (?, 'web', 'u1', 'in', 'nlu_fallback',"
                " 0.2, 1, ?)",
                (when.strftime("%Y-%m-%d %H:%M:%S.%f"), text),
            )
    return url


def test_json_lists_the_groups(tmp_path: Path) -> None:
    done = run_bot("review", "--json", database_url=database(tmp_path), tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    groups = json.loads(done.stdout)
    assert [g["count"] for g in groups] == [3, 1]
    first = groups[0]
    assert set(first) == {"key", "count", "weeks", "reasons", "examples"}
    assert len(first["key"]) == 12
    assert sum(first["weeks"].values()) == 3
    assert first["reasons"] == {"fallback": 3}
    assert "Làm sao cài VNeID?" in first["examples"]
    assert groups[1]["examples"] == ["đổi căn cước ở đâu"]


def test_a_table_for_people_and_an_empty_queue_said_so(tmp_path: Path) -> None:
    done = run_bot("review", database_url=database(tmp_path), tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "2 nhóm, 4 câu hỏi"
    assert "đổi căn cước ở đâu" in done.stdout
    empty = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    done = run_bot("review", database_url=empty, tmp_path=tmp_path)
    assert done.stdout.strip() == "Không có câu hỏi nào cần xem lại."
    done = run_bot("review", "--json", database_url=empty, tmp_path=tmp_path)
    assert json.loads(done.stdout) == []
