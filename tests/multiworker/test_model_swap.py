"""Two workers on PostgreSQL and Redis: a model an admin puts in service through one worker's
admin pages is loaded by both workers' turn processes within seconds, without a restart, and
the rollback returns both to the previous one. The "new" model is a copy of the trained one:
what is tested is the pickup, not a training (tests/modelops/test_retrain.py trains)."""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

import aiohttp
import sqlalchemy as sa

from bot.db.models import model_versions
from bot.modelops import store
from bot.settings import PROJECT_ROOT
from tests.fakes.loopback import LoopbackJar
from tests.fakes.platforms import FakeGraph
from tests.multiworker.conftest import Redis, rows, start_workers, stop, wait_ready

PASSWORD = "mat-khau-quan-tri-mo-hinh"
BASELINE = PROJECT_ROOT / "models" / "assistant.tar.gz"


async def _token(session: aiohttp.ClientSession, url: str) -> str:
    async with session.get(url) as resp:
        found = re.search(r'name="csrf" value="([^"]+)"', await resp.text())
    assert found
    return found.group(1)


def _loads(database: str) -> dict[str, int | None]:
    return dict(rows(database, "SELECT worker, version FROM model_loads"))


async def _until_both(database: str, version: int | None, timeout_s: float = 120) -> float:
    started = time.monotonic()
    loads: dict[str, int | None] = {}
    while time.monotonic() - started < timeout_s:
        loads = _loads(database)
        if len(loads) == 2 and set(loads.values()) == {version}:
            return time.monotonic() - started
        await asyncio.sleep(0.5)
    raise AssertionError(f"workers' models: {loads}, wanted {version} on both")


async def test_both_workers_pick_up_the_activated_model_and_the_rollback(
    tmp_path: Path, database: str, redis: Redis, graph: FakeGraph
) -> None:
    proc, port = start_workers(
        tmp_path, database, redis.url, graph, workers=2, ADMIN_PASSWORD=PASSWORD
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession(cookie_jar=LoopbackJar()) as session:
            await wait_ready(session, port, 2)
            await _until_both(database, None)  # both serve the baseline file

            # A trained model, as a finished training leaves it (a copy of the baseline file).
            copy = tmp_path / "var" / "models" / "copy.tar.gz"
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(BASELINE, copy)
            engine = sa.create_engine(database)
            now = datetime.now(timezone.utc)
            with engine.begin() as conn:
                version = store.start_training(
                    conn,
                    models_dir=copy.parent,
                    baseline=BASELINE,
                    trained_by="admin",
                    now=now,
                )
                conn.execute(
                    sa.update(model_versions)
                    .where(model_versions.c.id == version.id)
                    .values(path=str(copy))
                )
                store.finish(conn, version.id, now)
                baseline_id = store.active(conn).id  # type: ignore[union-attr]
            engine.dispose()

            token = await _token(session, f"{base}/admin/login")
            async with session.post(
                f"{base}/admin/login",
                data={"csrf": token, "username": "admin", "password": PASSWORD},
                allow_redirects=False,
            ) as resp:
                assert resp.status == 302
            token = await _token(session, f"{base}/admin/models")
            async with session.post(
                f"{base}/admin/models/{version.id}/activate",
                data={"csrf": token},
                allow_redirects=False,
            ) as resp:
                assert resp.status == 303
            took = await _until_both(database, version.id)
            assert took < 90
            async with session.get(f"{base}/admin/models") as resp:
                page = await resp.text()
            assert page.count(f'data-version="{version.id}"><td>') == 2  # both workers listed
            async with session.get(f"{base}/readyz") as resp:
                assert resp.status == 200  # serving all along

            async with session.post(
                f"{base}/admin/models/rollback", data={"csrf": token}, allow_redirects=False
            ) as resp:
                assert resp.status == 303
            await _until_both(database, baseline_id)
            actions = {r[0] for r in rows(database, "SELECT action FROM audit_log")}
            assert {store.ACTIVATED, store.ROLLED_BACK} <= actions
    finally:
        await stop(proc)
