"""`python -m bot ask` as a user runs it: a real process, the trained model, JSON out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.engine.topics import TOPIC_NAMES
from bot.settings import PROJECT_ROOT


def run_bot(*args: str, stdin: str | None = None, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "VAR_DIR": str(tmp_path / "var"), "LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=PROJECT_ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_ask_json_reads_a_file_and_prints_one_object_per_line(
    tmp_path: Path, model_path: Path
) -> None:
    questions = tmp_path / "q.txt"
    questions.write_text(
        "chuyển đổi số là gì\nlam sao kich hoat vneid\n\ngia vang hom nay\nalo ad oi\n",
        encoding="utf-8",
    )
    proc = run_bot("ask", "--json", "--file", str(questions), tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["text"] for r in records] == [
        "chuyển đổi số là gì",
        "lam sao kich hoat vneid",
        "gia vang hom nay",
        "alo ad oi",
    ]
    for record in records:
        assert set(record) == {"text", "intent", "confidence", "topic", "replies"}
        assert record["topic"] in TOPIC_NAMES
        assert 0.0 <= record["confidence"] <= 1.0
        assert record["replies"] and all(set(r) == {"text", "buttons"} for r in record["replies"])
    assert [r["topic"] for r in records] == ["dx_basics", "vneid", "out_of_scope", "smalltalk"]
    assert records[1]["intent"] == "vneid_activate"


def test_ask_plain_prints_the_answer_text(tmp_path: Path, model_path: Path) -> None:
    proc = run_bot("ask", "VNeID mức 2 đăng ký ở đâu", tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "công an xã/phường" in proc.stdout
    assert "[Kích hoạt VNeID]" in proc.stdout


def test_chat_reads_lines_until_end_of_input(tmp_path: Path, model_path: Path) -> None:
    proc = run_bot("chat", stdin="xin chao\ncam on\n", tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Xin chào! Mình là trợ lý chuyển đổi số" in proc.stdout
    assert "Không có gì" in proc.stdout


def test_ask_without_text_is_a_usage_error(tmp_path: Path) -> None:
    proc = run_bot("ask", tmp_path=tmp_path)
    assert proc.returncode == 2
    assert "Nothing to ask" in proc.stderr
