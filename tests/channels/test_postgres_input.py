"""What a signed body may carry reaches PostgreSQL storable: PostgreSQL refuses what SQLite keeps
(a lone surrogate cannot be encoded, a NUL cannot be in text), and a refused insert would be
answered 503 on every retry of the platform, forever."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from bot.channels.base import InboundEvent
from bot.channels.facebook.adapter import FacebookAdapter
from bot.channels.zalo.adapter import ZaloAdapter
from bot.db.engine import sync_url
from bot.db.migrate import upgrade
from bot.db.writer import BatchWriter
from bot.pipeline.inbox import dead_letter, store_events
from bot.pipeline.intake import PostgresIntake
from tests.fakes.channels import OA_ID, ZALO_APP_ID, fb_text, zalo_event
from tests.fakes.postgres import fresh_databases, pg_up

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
ODD = ["\ud800", "\udfff\ud800", "\u0000"]


pytestmark = pytest.mark.skipif(not pg_up(), reason="needs PostgreSQL on 127.0.0.1:5432")


@pytest.fixture
def database() -> Iterator[str]:
    with fresh_databases("khdx_ch") as make:
        url = make()
        upgrade(url)
        yield url


def ref(event: InboundEvent) -> str:
    return f"ref-{event.platform}"


@pytest.mark.parametrize("odd", ODD)
async def test_odd_characters_in_signed_bodies_are_stored(database: str, odd: str) -> None:
    facebook = FacebookAdapter("s").parse(
        json.dumps(fb_text(f"psid{odd}", f"cam on {odd}", f"m_{odd}")).encode()
    )
    zalo_body = zalo_event("user_send_text", f"u{odd}", f"z_{odd}", text=f"{odd} alo")
    zalo = ZaloAdapter(ZALO_APP_ID, "s").parse(json.dumps(zalo_body).encode())
    follow = {
        "app_id": ZALO_APP_ID,
        "oa_id": OA_ID,
        "event_name": "follow",
        "follower": {"id": "1"},
    }
    follow["source"] = odd
    followed = ZaloAdapter(ZALO_APP_ID, "s").parse(json.dumps(follow).encode())
    intake, writer = PostgresIntake(database), BatchWriter(database)
    engine = sa.create_engine(sync_url(database))
    try:
        for events in (facebook, zalo):  # the one-round-trip intake
            assert await store_events(writer, events, ref, NOW, {}, fast=intake)
        assert await store_events(writer, followed, ref, NOW, {}, fast=intake)  # the writer
        # A body that cannot be read is kept as a dead letter as it came.
        await dead_letter(
            writer,
            platform="zalo",
            direction="in",
            reason="x",
            body=f"{{{odd}".encode("utf-8", "surrogatepass"),
            now=NOW,
        )
        with engine.connect() as conn:
            texts = conn.execute(sa.text("SELECT text FROM inbox ORDER BY id")).scalars().all()
            letters = conn.execute(sa.text("SELECT count(*) FROM dead_letters")).scalar_one()
        assert len(texts) == 3
        assert all(odd not in (t or "") for t in texts)
        assert letters == 1
    finally:
        await intake.close()
        await writer.stop()
        engine.dispose()
