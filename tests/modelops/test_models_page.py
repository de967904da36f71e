"""/admin/models without a real training (fast): one training at a time, the progress an admin
sees, the confirmation a lower held-out accuracy needs, the rollback, and the audit log."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from bot.db.models import model_versions
from bot.db.writer import sync_engine
from bot.engine.runner import AssistantRunner
from bot.modelops import store
from bot.runtime.app import create_app
from bot.settings import Settings
from tests.admin.test_auth import ADMIN_PASSWORD, form_token, login
from tests.conftest import ClientFactory
from tests.fakes.server import served
from tests.fakes.settings import make_settings

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def app_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, ADMIN_PASSWORD=ADMIN_PASSWORD)


@pytest.fixture
async def client(
    aiohttp_client: ClientFactory, app_settings: Settings, runner: AssistantRunner
) -> TestClient:
    client = await served(aiohttp_client, create_app(app_settings, runner=runner))
    assert await login(client, "admin", ADMIN_PASSWORD) == 302
    return client


@pytest.fixture
def db(app_settings: Settings, client: TestClient) -> Iterator[sa.engine.Engine]:
    # After the client: the app has migrated the database.
    engine = sync_engine(app_settings.database_url)
    yield engine
    engine.dispose()


def _ready(conn: sa.engine.Connection, settings: Settings, accuracy: float) -> int:
    """A finished training whose file is the baseline's (nothing to train in a fast test)."""
    version = store.start_training(
        conn,
        models_dir=settings.var_dir / "models",
        baseline=settings.model_path,
        trained_by="admin",
        now=NOW,
    )
    conn.execute(
        sa.update(model_versions)
        .where(model_versions.c.id == version.id)
        .values(path=str(settings.model_path))
    )
    store.store_accuracy(conn, version.id, accuracy, {"accented": accuracy})
    store.finish(conn, version.id, NOW)
    return version.id


def _audit(db: sa.engine.Engine) -> list[str]:
    with db.connect() as conn:
        return [r[0] for r in conn.execute(sa.text("SELECT action FROM audit_log ORDER BY id"))]


async def _progress(client: TestClient) -> dict[str, object]:
    resp = await client.get("/admin/models/progress")
    assert resp.status == 200
    return dict(await resp.json())


async def test_progress_goes_through_the_stages_and_a_second_training_is_refused(
    client: TestClient, app_settings: Settings, db: sa.engine.Engine
) -> None:
    assert (await _progress(client))["state"] == "idle"
    page = await (await client.get("/admin/models")).text()
    assert 'id="model-versions"' in page and 'data-version="0"' in page
    assert "Huấn luyện lại" in page and "Quay lại bản trước" in page

    now = datetime.now(timezone.utc)
    with db.begin() as conn:
        version = store.start_training(
            conn,
            models_dir=app_settings.var_dir / "models",
            baseline=app_settings.model_path,
            trained_by="admin",
            now=now,
        )
    seen = await _progress(client)
    assert seen["state"] == "waiting" and seen["version"] == version.id
    assert str(seen["message"]).startswith("Đang chờ")

    # A second request, from this page or another worker's, is refused while one runs.
    token = await form_token(client, "/admin/models")
    resp = await client.post("/admin/models/train", data={"csrf": token})
    assert resp.status == 409
    assert "Đang có một lần huấn luyện chạy" in await resp.text()

    for stage, text in (("training", "Đang huấn luyện"), ("evaluating", "Đang đánh giá")):
        with db.begin() as conn:
            store.set_stage(conn, version.id, stage, now)
        seen = await _progress(client)
        assert seen["state"] == stage and str(seen["message"]).startswith(text)
        assert 0 < int(str(seen["percent"])) < 100
    with db.begin() as conn:
        store.finish(conn, version.id, now, error="RuntimeError: Rasa trả về mã 1")
    seen = await _progress(client)
    assert seen == {
        "state": "failed",
        "percent": 100,
        "message": "Lỗi: RuntimeError: Rasa trả về mã 1",
        "version": version.id,
    }
    page = await (await client.get("/admin/models")).text()
    assert f'data-version="{version.id}"' in page and "lỗi" in page
    # The lock is free again: the next training is accepted (its row is the lock).
    with db.begin() as conn:
        assert store.running(conn) is None
    assert _audit(db) == [store.TRAIN_REQUESTED, store.TRAIN_FAILED]


async def test_a_dead_training_does_not_hold_the_lock(
    app_settings: Settings, db: sa.engine.Engine, client: TestClient
) -> None:
    with db.begin() as conn:
        old = store.start_training(
            conn,
            models_dir=app_settings.var_dir / "models",
            baseline=app_settings.model_path,
            trained_by="admin",
            now=NOW,
        )
        with pytest.raises(store.Busy):
            store.start_training(
                conn,
                models_dir=app_settings.var_dir / "models",
                baseline=app_settings.model_path,
                trained_by="admin",
                now=NOW + timedelta(minutes=1),
            )
        new = store.start_training(
            conn,
            models_dir=app_settings.var_dir / "models",
            baseline=app_settings.model_path,
            trained_by="admin",
            now=NOW + store.STALE_AFTER + timedelta(minutes=1),
        )
        dead = store.get(conn, old.id)
    assert dead is not None and dead.status == "failed" and dead.error
    assert new.status == "training"


async def test_a_lower_accuracy_needs_the_confirmation_and_rollback_restores(
    client: TestClient, app_settings: Settings, db: sa.engine.Engine
) -> None:
    with db.begin() as conn:
        better = _ready(conn, app_settings, 0.90)
        worse = _ready(conn, app_settings, 0.80)
    baseline_id = better - 1  # the baseline file became a row when the first training began

    token = await form_token(client, "/admin/models")
    resp = await client.post(
        f"/admin/models/{better}/activate", data={"csrf": token}, allow_redirects=False
    )
    assert resp.status == 303
    page = await (await client.get(resp.headers["Location"])).text()
    assert "Đã đưa mô hình vào dùng" in page
    row = re.search(rf'<tr data-version="{better}"[^>]*>(.*?)</tr>', page, re.S)
    assert row and "đang dùng" in row.group(1)
    # The worse one offers the confirmation box next to its button.
    row = re.search(rf'<tr data-version="{worse}"[^>]*>(.*?)</tr>', page, re.S)
    assert row and 'name="confirm" value="yes"' in row.group(1)

    resp = await client.post(f"/admin/models/{worse}/activate", data={"csrf": token})
    assert resp.status == 409
    text = await resp.text()
    assert "thấp hơn mô hình đang dùng" in text and "80.0%" in text and "90.0%" in text
    with db.connect() as conn:
        active = store.active(conn)
    assert active is not None and active.id == better

    resp = await client.post(
        f"/admin/models/{worse}/activate",
        data={"csrf": token, "confirm": "yes"},
        allow_redirects=False,
    )
    assert resp.status == 303
    with db.connect() as conn:
        assert store.active(conn).id == worse  # type: ignore[union-attr]

    # One click back to the previous model (the one it replaced is retired).
    resp = await client.post("/admin/models/rollback", data={"csrf": token}, allow_redirects=False)
    assert resp.status == 303
    with db.connect() as conn:
        assert store.active(conn).id == better  # type: ignore[union-attr]
        assert store.get(conn, worse).status == "retired"  # type: ignore[union-attr]
    # No previous left: back to the baseline file, then nothing further.
    resp = await client.post("/admin/models/rollback", data={"csrf": token}, allow_redirects=False)
    assert resp.status == 303
    with db.connect() as conn:
        assert store.active(conn).id == baseline_id  # type: ignore[union-attr]
    resp = await client.post("/admin/models/rollback", data={"csrf": token})
    assert resp.status == 409
    assert "Không có bản trước để quay lại" in await resp.text()

    assert _audit(db) == [
        store.TRAIN_REQUESTED,
        store.TRAINED,
        store.TRAIN_REQUESTED,
        store.TRAINED,
        store.ACTIVATED,
        store.ACTIVATED,
        store.CONFIRMED_LOWER,
        store.ROLLED_BACK,
        store.ROLLED_BACK,
    ]


async def test_bad_requests_get_a_clear_answer_not_a_500(
    client: TestClient, db: sa.engine.Engine
) -> None:
    token = await form_token(client, "/admin/models")
    for path, status, text in (
        ("/admin/models/abc/activate", 404, "Không có mô hình này."),
        ("/admin/models/999/activate", 409, "Không có mô hình này."),
    ):
        resp = await client.post(path, data={"csrf": token})
        assert resp.status == status
        assert text in await resp.text()
    resp = await client.post("/admin/models/train", data={"csrf": "wrong"})
    assert resp.status == 403
