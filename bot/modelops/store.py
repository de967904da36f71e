"""The rows of model_versions and what changes them: the training lock, activation, rollback.

Functions take a synchronous Connection (in a transaction): the admin pages run them through the
BatchWriter, the training process on its own engine. Every step writes its line of audit_log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from bot.db.models import audit_log, model_loads, model_versions

# The audit log's actions (audit_log.action holds no more than 32 characters).
TRAIN_REQUESTED = "model_train_requested"
TRAINED = "model_trained"
TRAIN_FAILED = "model_train_failed"
ACTIVATED = "model_activated"
CONFIRMED_LOWER = "model_confirmed_lower"
ROLLED_BACK = "model_rolled_back"

BASELINE_AUTHOR = "make train"
# A training whose process has not said it is alive for this long died (a killed worker);
# generous: at nice 19 on a busy machine its heartbeat thread may wait for the CPU.
STALE_AFTER = timedelta(minutes=10)
STAGES = ("waiting", "training", "evaluating", "done", "failed")


class Busy(Exception):
    """A training is already running."""


class Refused(Exception):
    """An activation or rollback that cannot be done; the message is for the admin."""


@dataclass(frozen=True)
class Version:
    id: int
    created_at: datetime
    path: str
    status: str
    stage: str
    finished_at: datetime | None
    heartbeat_at: datetime | None
    reviewed_count: int
    accuracy: float | None
    by_form: dict[str, float]
    trained_by: str
    error: str | None
    activated_at: datetime | None

    @property
    def baseline(self) -> bool:
        return self.trained_by == BASELINE_AUTHOR


def _version(row: Any) -> Version:
    return Version(
        id=row.id,
        created_at=row.created_at,
        path=row.path,
        status=row.status,
        stage=row.stage,
        finished_at=row.finished_at,
        heartbeat_at=row.heartbeat_at,
        reviewed_count=row.reviewed_count,
        accuracy=row.heldout_accuracy,
        by_form=json.loads(row.heldout_by_form) if row.heldout_by_form else {},
        trained_by=row.trained_by,
        error=row.error,
        activated_at=row.activated_at,
    )


def _audit(conn: Connection, action: str, now: datetime) -> None:
    conn.execute(audit_log.insert().values(created_at=now, action=action, rows=1))


def all_versions(conn: Connection) -> list[Version]:
    rows = conn.execute(select(model_versions).order_by(model_versions.c.id.desc()))
    return [_version(r) for r in rows]


def loads(conn: Connection) -> list[Any]:
    """The model each worker has in memory: (worker, version or None, loaded_at)."""
    return list(conn.execute(select(model_loads).order_by(model_loads.c.worker)))


def get(conn: Connection, version_id: int) -> Version | None:
    row = conn.execute(select(model_versions).where(model_versions.c.id == version_id)).first()
    return _version(row) if row else None


def active(conn: Connection) -> Version | None:
    row = conn.execute(
        select(model_versions)
        .where(model_versions.c.status == "active")
        .order_by(model_versions.c.activated_at.desc())
        .limit(1)
    ).first()
    return _version(row) if row else None


def latest(conn: Connection) -> Version | None:
    row = conn.execute(
        select(model_versions)
        .where(model_versions.c.trained_by != BASELINE_AUTHOR)
        .order_by(model_versions.c.id.desc())
        .limit(1)
    ).first()
    return _version(row) if row else None


def last_duration_s(conn: Connection) -> float | None:
    """How long the last finished training took (for the progress estimate)."""
    row = conn.execute(
        select(model_versions.c.created_at, model_versions.c.finished_at)
        .where(model_versions.c.finished_at.is_not(None), model_versions.c.error.is_(None))
        .where(model_versions.c.trained_by != BASELINE_AUTHOR)
        .order_by(model_versions.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return (aware(row.finished_at) - aware(row.created_at)).total_seconds()


def aware(moment: datetime) -> datetime:
    # SQLite gives naive datetimes back; they were written in UTC.
    from datetime import timezone

    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def ensure_baseline(conn: Connection, baseline: Path, now: datetime) -> Version:
    """The model in service as a row: the baseline file (`make train`) when none is active, so
    that its held-out accuracy can be stored and rollback can return to it."""
    current = active(conn)
    if current is not None:
        return current
    found = conn.execute(
        select(model_versions.c.id).where(model_versions.c.trained_by == BASELINE_AUTHOR)
    ).scalar()
    if found is None:
        found = conn.execute(
            model_versions.insert().values(
                created_at=now,
                path=str(baseline),
                status="active",
                stage="done",
                reviewed_count=0,
                trained_by=BASELINE_AUTHOR,
                activated_at=now,
            )
        ).inserted_primary_key[0]
    else:
        conn.execute(
            update(model_versions)
            .where(model_versions.c.id == found)
            .values(status="active", activated_at=now)
        )
    version = get(conn, int(found))
    assert version is not None
    return version


def start_training(
    conn: Connection, *, models_dir: Path, baseline: Path, trained_by: str, now: datetime
) -> Version:
    """The row of a new training, which is the lock: Busy if one runs (on any worker)."""
    ensure_baseline(conn, baseline, now)
    # A training process that died (its worker killed) does not hold the lock for ever.
    stale = conn.execute(
        update(model_versions)
        .where(model_versions.c.running.is_not(None))
        .where(model_versions.c.heartbeat_at < now - STALE_AFTER)
        .values(
            running=None,
            status="failed",
            stage="failed",
            error="Quá trình huấn luyện bị dừng giữa chừng.",
            finished_at=now,
        )
    ).rowcount
    if stale:
        _audit(conn, TRAIN_FAILED, now)
    if running(conn) is not None:
        raise Busy
    # Two requests at once on two workers: the unique `running` refuses the second (the
    # caller turns that IntegrityError into Busy).
    new_id = conn.execute(
        model_versions.insert().values(
            created_at=now,
            path="",
            status="training",
            stage="waiting",
            running=1,
            heartbeat_at=now,
            reviewed_count=0,
            trained_by=trained_by[:64],
        )
    ).inserted_primary_key[0]
    path = models_dir / f"{new_id}.tar.gz"
    conn.execute(
        update(model_versions).where(model_versions.c.id == new_id).values(path=str(path))
    )
    _audit(conn, TRAIN_REQUESTED, now)
    version = get(conn, int(new_id))
    assert version is not None
    return version


def running(conn: Connection) -> Version | None:
    row = conn.execute(select(model_versions).where(model_versions.c.running.is_not(None))).first()
    return _version(row) if row else None


def set_stage(conn: Connection, version_id: int, stage: str, now: datetime, **values: Any) -> None:
    conn.execute(
        update(model_versions)
        .where(model_versions.c.id == version_id)
        .values(stage=stage, heartbeat_at=now, **values)
    )


def heartbeat(conn: Connection, version_id: int, now: datetime) -> None:
    conn.execute(
        update(model_versions)
        .where(model_versions.c.id == version_id, model_versions.c.running.is_not(None))
        .values(heartbeat_at=now)
    )


def store_accuracy(
    conn: Connection, version_id: int, accuracy: float, by_form: dict[str, float]
) -> None:
    conn.execute(
        update(model_versions)
        .where(model_versions.c.id == version_id)
        .values(heldout_accuracy=accuracy, heldout_by_form=json.dumps(by_form))
    )


def finish(conn: Connection, version_id: int, now: datetime, error: str | None = None) -> None:
    """The training is over, well (status ready) or not (failed); the lock is released."""
    conn.execute(
        update(model_versions)
        .where(model_versions.c.id == version_id)
        .values(
            running=None,
            status="failed" if error else "ready",
            stage="failed" if error else "done",
            error=error,
            finished_at=now,
            heartbeat_at=now,
        )
    )
    _audit(conn, TRAIN_FAILED if error else TRAINED, now)


def is_lower(candidate: Version, current: Version | None) -> bool:
    """Whether putting `candidate` in service lowers the held-out accuracy."""
    if current is None or current.accuracy is None or candidate.accuracy is None:
        return False
    return candidate.accuracy < current.accuracy


def activate(
    conn: Connection, version_id: int, now: datetime, *, baseline: Path, confirmed: bool
) -> Version:
    """Put a version in service on every worker (they read the active row every few seconds).
    The one in service becomes the previous one (what rollback returns to)."""
    target = get(conn, version_id)
    if target is None:
        raise Refused("Không có mô hình này.")
    if target.status in {"training", "failed"}:
        raise Refused("Mô hình này chưa huấn luyện xong hoặc bị lỗi, không thể đưa vào dùng.")
    if target.status == "active":
        raise Refused("Mô hình này đang được dùng.")
    if not Path(target.path).exists():
        raise Refused("Không tìm thấy tệp của mô hình này trên máy chủ.")
    current = ensure_baseline(conn, baseline, now)
    if is_lower(target, current) and not confirmed:
        raise LowerAccuracy(target, current)
    _switch(conn, target, current, now)
    _audit(conn, ACTIVATED, now)
    if is_lower(target, current):
        _audit(conn, CONFIRMED_LOWER, now)
    found = get(conn, version_id)
    assert found is not None
    return found


class LowerAccuracy(Refused):
    def __init__(self, target: Version, current: Version) -> None:
        super().__init__(
            f"Mô hình {target.id} có độ chính xác {target.accuracy:.1%}, thấp hơn mô hình đang "
            f"dùng ({current.accuracy or 0:.1%}). Hãy đánh dấu ô xác nhận nếu vẫn muốn dùng."
        )


def _switch(conn: Connection, target: Version, current: Version | None, now: datetime) -> None:
    # One previous at a time: the older one is retired.
    conn.execute(
        update(model_versions)
        .where(model_versions.c.status == "previous")
        .values(status="retired")
    )
    if current is not None and current.id != target.id:
        conn.execute(
            update(model_versions)
            .where(model_versions.c.id == current.id)
            .values(status="previous")
        )
    conn.execute(
        update(model_versions)
        .where(model_versions.c.id == target.id)
        .values(status="active", activated_at=now)
    )


def rollback(conn: Connection, now: datetime, *, baseline: Path) -> Version:
    """Back to the previous model (the baseline file when there is none); the one in service
    is retired."""
    current = active(conn)
    previous = conn.execute(
        select(model_versions)
        .where(model_versions.c.status == "previous")
        .order_by(model_versions.c.activated_at.desc())
        .limit(1)
    ).first()
    if previous is None:
        if current is None or current.baseline:
            raise Refused("Không có bản trước để quay lại: mô hình gốc đang được dùng.")
        conn.execute(
            update(model_versions)
            .where(model_versions.c.id == current.id)
            .values(status="retired")
        )
        target = ensure_baseline(conn, baseline, now)
    else:
        if current is not None:
            conn.execute(
                update(model_versions)
                .where(model_versions.c.id == current.id)
                .values(status="retired")
            )
        conn.execute(
            update(model_versions)
            .where(model_versions.c.id == previous.id)
            .values(status="active", activated_at=now)
        )
        target = _version(previous)
    _audit(conn, ROLLED_BACK, now)
    found = get(conn, target.id)
    assert found is not None
    return found
