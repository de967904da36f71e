"""Start a retrain from a worker, and read its progress for the admin page.

The training runs in a child process (bot/modelops/retrain.py) at nice 19 with one thread for
the numeric libraries: on a 2-core machine the workers' turns keep their CPU. The row in
model_versions is the lock and the progress record, so any worker can show it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.db.writer import BatchWriter
from bot.modelops import store
from bot.modelops.retrain import DATABASE_ENV
from bot.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

NICENESS = 19
# Rasa and scikit-learn would take every core; one thread each leaves the others to the turns.
THREAD_LIMITS = {
    name: "1"
    for name in (
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "TF_INTRA_OP_PARALLELISM_THREADS",
        "TF_INTER_OP_PARALLELISM_THREADS",
    )
}
DEFAULT_ESTIMATE_S = 150.0
MESSAGES = {
    "waiting": "Đang chờ",
    "training": "Đang huấn luyện",
    "evaluating": "Đang đánh giá",
    "done": "Xong",
}


def models_dir(var_dir: Path) -> Path:
    return var_dir / "models"


async def start(
    writer: BatchWriter,
    database_url: str,
    *,
    var_dir: Path,
    baseline: Path,
    trained_by: str,
    now: datetime,
) -> store.Version:
    """Claim the lock and start the training process; store.Busy when one runs."""

    def claim(conn: Any) -> store.Version:
        return store.start_training(
            conn,
            models_dir=models_dir(var_dir),
            baseline=baseline,
            trained_by=trained_by,
            now=now,
        )

    try:
        version = await writer.write(claim)
    except IntegrityError as exc:  # another worker claimed it at the same moment
        raise store.Busy from exc
    try:
        proc = await asyncio.to_thread(_spawn, version, database_url)
    except OSError as exc:
        reason = f"Không chạy được quá trình huấn luyện ({type(exc).__name__})."

        def fail(conn: Any) -> None:
            store.finish(conn, version.id, now, error=reason)

        await writer.write(fail)
        raise
    log.info("training %d started (pid %d)", version.id, proc.pid)
    # Reaped when it ends, without holding the event loop.
    threading.Thread(target=proc.wait, name=f"retrain-{version.id}", daemon=True).start()
    return version


def _spawn(version: store.Version, database_url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, **THREAD_LIMITS, DATABASE_ENV: database_url}
    # Rasa's chatter goes beside the model (<id>.log), not into the worker's log.
    log_path = Path(version.path).with_suffix("").with_suffix(".log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as out:
        # A plain Popen: no asyncio child watcher needed (test loops have none).
        return subprocess.Popen(  # noqa: S603 (our own module, no shell)
            [sys.executable, "-m", "bot.modelops.retrain", "--version", str(version.id)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_lower_priority,  # noqa: PLW1509 (only os.nice, no locks taken)
            start_new_session=True,
        )


def _lower_priority() -> None:
    os.nice(NICENESS)


@dataclass(frozen=True)
class Progress:
    state: str  # idle | waiting | training | evaluating | done | failed
    percent: int
    message: str
    version: int | None

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "percent": self.percent,
            "message": self.message,
            "version": self.version,
        }


def progress(conn: Any, now: datetime) -> Progress:
    """The last training's stage, with a percentage estimated from the previous one's time
    (Rasa tells nothing finer)."""
    version = store.latest(conn)
    if version is None:
        return Progress("idle", 0, "Chưa huấn luyện lại lần nào.", None)
    if version.stage == "failed" or version.status == "failed":
        return Progress("failed", 100, f"Lỗi: {version.error or 'không rõ'}", version.id)
    if version.stage == "done":
        return Progress("done", 100, MESSAGES["done"], version.id)
    estimate = store.last_duration_s(conn) or DEFAULT_ESTIMATE_S
    elapsed = (now - store.aware(version.created_at)).total_seconds()
    percent = int(min(95.0, max(1.0, 100.0 * elapsed / estimate)))
    if version.stage == "waiting":
        percent = min(percent, 5)
    left = max(0, int(estimate - elapsed))
    message = MESSAGES.get(version.stage, version.stage)
    if version.stage != "waiting" and left:
        message += f" (còn khoảng {left // 60} phút {left % 60} giây)"
    return Progress(version.stage, percent, message, version.id)
