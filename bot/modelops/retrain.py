"""The training process: `python -m bot.modelops.retrain --database-url URL --version ID`.

Started by the admin's request (bot/modelops/jobs.py) at the lowest CPU priority with one thread
for the numeric libraries, so the workers' turns come first. It trains on the project's data and
the reviewed examples, evaluates the new model on the held-out set (and the model in service if
its accuracy is not known yet), and writes each stage to its row of model_versions.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, event, update
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool

from bot.db.engine import apply_sqlite_pragmas, ensure_sqlite_dir, sync_connect_args, sync_url
from bot.db.models import reviewed_examples
from bot.engine import evaluation
from bot.modelops import store
from bot.modelops.inputs import read_reviewed, write_inputs
from bot.settings import PROJECT_ROOT

log = logging.getLogger(__name__)
HEARTBEAT_S = 10.0
DATABASE_ENV = "RETRAIN_DATABASE_URL"


def now() -> datetime:
    return datetime.now(timezone.utc)


def heldout(model: Path) -> tuple[float, dict[str, float]]:
    """Held-out accuracy, overall and per form (accented, unaccented, teencode)."""
    from bot.engine.runner import AssistantRunner

    async def run() -> evaluation.Report:
        runner = AssistantRunner(model)
        await runner.load()
        try:
            return await evaluation.evaluate(runner.parse, evaluation.load_heldout())
        finally:
            await runner.stop()

    report = asyncio.run(run())
    return report.accuracy, {form: report.form_accuracy(form) for form in evaluation.FORMS}


def train_model(inputs_dir: Path, examples: list[tuple[str, str]], output: Path) -> int:
    from bot.engine.rasa_env import prepare_rasa_environment

    prepare_rasa_environment()
    from rasa.model_training import train as rasa_train

    inputs = write_inputs(inputs_dir, examples)
    result = rasa_train(
        domain=str(inputs.domain),
        config=str(PROJECT_ROOT / "config.yml"),
        training_files=[str(p) for p in inputs.data],
        output=str(inputs_dir / "out"),
        fixed_model_name="model",
        force_training=True,
    )
    if result.code != 0 or not result.model:
        raise RuntimeError(f"Rasa trả về mã {result.code}")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".part")
    shutil.copy(result.model, partial)
    partial.replace(output)  # whole or absent: a worker never loads half a file
    return inputs.examples


def _engine(database_url: str) -> Engine:
    """Its own engine; on SQLite a connection may move between this process's two threads (the
    training and its heartbeat), one at a time through the pool."""
    ensure_sqlite_dir(database_url)
    url = sync_url(database_url)
    args = sync_connect_args(url)
    if url.get_backend_name() == "sqlite":
        args["check_same_thread"] = False
    engine = create_engine(url, future=True, poolclass=QueuePool, pool_size=1, connect_args=args)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", apply_sqlite_pragmas)
    return engine


def _beat(engine: Engine, version_id: int, stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT_S):
        try:
            with engine.begin() as conn:
                store.heartbeat(conn, version_id, now())
        except Exception as exc:  # the next beat may pass; the training goes on
            log.warning("heartbeat not written: %s", type(exc).__name__)


def run(database_url: str, version_id: int) -> int:
    engine = _engine(database_url)
    stop = threading.Event()
    beat = threading.Thread(target=_beat, args=(engine, version_id, stop), daemon=True)
    beat.start()
    try:
        with engine.begin() as conn:
            version = store.get(conn, version_id)
            assert version is not None, f"no model version {version_id}"
            examples = read_reviewed(conn)
            store.set_stage(conn, version_id, "training", now())
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="khdx-retrain-") as tmp:
            count = train_model(Path(tmp), examples, Path(version.path))
        log.info("model %d trained in %.0f s", version_id, time.perf_counter() - started)
        with engine.begin() as conn:
            store.set_stage(conn, version_id, "evaluating", now(), reviewed_count=count)
            conn.execute(
                update(reviewed_examples)
                .where(reviewed_examples.c.model_version.is_(None))
                .values(model_version=version_id)
            )
            current = store.active(conn)
        accuracy, by_form = heldout(Path(version.path))
        with engine.begin() as conn:
            store.store_accuracy(conn, version_id, accuracy, by_form)
        # The model in service is measured once, on the same held-out set, for the comparison.
        if current is not None and current.accuracy is None and Path(current.path).exists():
            accuracy, by_form = heldout(Path(current.path))
            with engine.begin() as conn:
                store.store_accuracy(conn, current.id, accuracy, by_form)
        with engine.begin() as conn:
            store.finish(conn, version_id, now())
        return 0
    except Exception as exc:
        log.exception("training %d failed", version_id)
        with engine.begin() as conn:
            store.finish(conn, version_id, now(), error=f"{type(exc).__name__}: {exc}"[:500])
        return 1
    finally:
        stop.set()
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.modelops.retrain")
    # From the environment by default: a password in a URL stays out of `ps`.
    parser.add_argument("--database-url", default=os.environ.get(DATABASE_ENV, ""))
    parser.add_argument("--version", type=int, required=True)
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error(f"--database-url or {DATABASE_ENV} is needed")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    return run(args.database_url, args.version)


if __name__ == "__main__":
    raise SystemExit(main())
