"""Which model a process should serve: the active row of model_versions, read every few
seconds by each process that runs a model (bot/engine/runner.py loads a changed one in the
background and swaps it in between turns). One indexed read; a database that does not answer
leaves the model in service as it is."""

from __future__ import annotations

import logging
import os
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select, update

from bot.content.live import reader_engine
from bot.db.models import model_loads, model_versions
from bot.settings import worker_id

log = logging.getLogger(__name__)

CHECK_S = 2.0


class ModelWatch:
    def __init__(
        self, database_url: str, *, interval_s: float = CHECK_S, worker: str | None = None
    ) -> None:
        self.database_url = database_url
        self.interval_s = interval_s
        # A worker's model runs in one process (its own, its agent's or its turn process's).
        self.worker = worker or worker_id(
            os.environ.get("WORKER_INDEX", "0"), os.environ.get("WORKER_ID", "")
        )
        self._engine = reader_engine(database_url)

    def active(self) -> tuple[int, Path] | None:
        """(version id, model file) of the model in service; None: the baseline file. Raises
        when the database cannot be read."""
        with self._engine.connect() as conn:
            row = conn.execute(
                select(model_versions.c.id, model_versions.c.path)
                .where(model_versions.c.status == "active")
                .order_by(model_versions.c.activated_at.desc())
                .limit(1)
            ).first()
        return (int(row.id), Path(row.path)) if row else None

    def report(self, version: int | None) -> None:
        """Record the model this worker has in memory (shown on /admin/models)."""
        now = datetime.now(timezone.utc)
        try:
            with self._engine.connect() as conn:
                done = conn.execute(
                    update(model_loads)
                    .where(model_loads.c.worker == self.worker)
                    .values(version=version, loaded_at=now)
                ).rowcount
                if not done:
                    conn.execute(
                        model_loads.insert().values(
                            worker=self.worker, version=version, loaded_at=now
                        )
                    )
        except Exception as exc:  # a figure for the admin page: never worth failing a load
            log.warning("loaded model not recorded (%s)", type(exc).__name__)

    def close(self) -> None:
        self._engine.dispose()
