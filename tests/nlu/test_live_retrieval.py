"""The second opinion follows the model in service: the reviewed examples a retrained model learnt
count once that model is active, and no longer after a rollback."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import update

from bot.db.engine import create_engine
from bot.db.migrate import upgrade
from bot.db.models import model_versions, reviewed_examples
from bot.nlu.live_retrieval import LiveRetriever
from bot.nlu.retrieval import Retriever

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
QUESTION = "bản đồ số các điểm tham quan nha trang"
TAUGHT = ("ban do so diem tham quan nha trang", "bản đồ số các điểm du lịch ở nha trang")


def _version(version_id: int, status: str) -> dict[str, object]:
    return {
        "id": version_id,
        "created_at": NOW,
        "path": f"models/{version_id}.tar.gz",
        "status": status,
        "stage": "done",
        "reviewed_count": 0,
        "trained_by": "test",
        "activated_at": NOW if status == "active" else None,
    }


async def test_reviewed_examples_count_while_their_model_is_in_service(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    upgrade(url)
    engine = create_engine(url)
    ticks = iter(range(0, 1000, 10))  # each check a new moment: never throttled here
    live = LiveRetriever(Retriever.pairs(), engine, clock=lambda: float(next(ticks)))
    try:
        before = (await live.current()).ranking(QUESTION)[0].intent
        assert before != "sector_tourism"  # the project's data alone does not place it

        async with engine.begin() as conn:
            await conn.execute(model_versions.insert(), [_version(1, "previous")])
            await conn.execute(model_versions.insert(), [_version(2, "active")])
            await conn.execute(
                reviewed_examples.insert(),
                [
                    {
                        "created_at": NOW,
                        "text": text,
                        "intent": "sector_tourism",
                        "group_key": "g1",
                        "reviewer": "admin",
                        "kind": "assign",
                        "model_version": 2,
                    }
                    for text in TAUGHT
                ],
            )
        await live.current()
        await live.settled()
        assert (await live.current()).ranking(QUESTION)[0].intent == "sector_tourism"

        # Rolled back to the model before: what it never learnt no longer counts.
        async with engine.begin() as conn:
            await conn.execute(
                update(model_versions).where(model_versions.c.id == 2).values(status="retired")
            )
            await conn.execute(
                update(model_versions)
                .where(model_versions.c.id == 1)
                .values(status="active", activated_at=NOW)
            )
        await live.current()
        await live.settled()
        assert (await live.current()).ranking(QUESTION)[0].intent == before
        assert live.rebuilds == 2  # the taught model, then the one before
    finally:
        await engine.dispose()
