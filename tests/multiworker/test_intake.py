"""Webhook intake in one round trip on PostgreSQL (bot/pipeline/intake.py) stores what the writer
path stores: rows in event order, each delivery once, masked text, the messaging window."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from bot.channels.base import InboundEvent, Kind
from bot.db.engine import sync_url
from bot.db.migrate import upgrade
from bot.db.writer import BatchWriter
from bot.pipeline.inbox import store_events
from bot.pipeline.intake import POOL_SIZE, PostgresIntake

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)


def message(event_id: str, user: str, text: str, kind: Kind = Kind.TEXT) -> InboundEvent:
    return InboundEvent(
        platform="facebook",
        kind=kind,
        event_id=event_id,
        page_id="page-1",
        user_id=f"psid-{user}",
        text=text,
        payload="/vneid_level2" if kind is Kind.POSTBACK else None,
    )


def ref(event: InboundEvent) -> str:
    return f"ref-{event.user_id}"


async def test_rows_in_order_each_delivery_once_text_masked(database: str) -> None:
    upgrade(database)
    intake, writer = PostgresIntake(database), BatchWriter(database)
    engine = sa.create_engine(sync_url(database))
    try:
        batch = [
            message("m1", "a", "vneid muc 2 o dau"),
            message("m2", "b", "sdt cua minh la 0912345678"),
            message("m3", "a", "con muc 1", Kind.POSTBACK),
        ]
        stored = await store_events(writer, batch, ref, NOW, {}, claim=None, fast=intake)
        assert stored == [
            ("facebook", "ref-psid-a"),
            ("facebook", "ref-psid-b"),
            ("facebook", "ref-psid-a"),
        ]
        # The platform delivers m2 again together with a new message: m2 is not stored twice.
        again = await store_events(
            writer, [batch[1], message("m4", "b", "cam on")], ref, NOW, {}, fast=intake
        )
        assert again == [("facebook", "ref-psid-b")]
        # Each conversation's rows are claimed by the worker that owns it (bot/pipeline/hints.py).
        owners = {"ref-psid-a": "host:0", "ref-psid-c": "host:1"}
        await store_events(
            writer,
            [message("m5", "a", "hi"), message("m6", "c", "alo")],
            ref,
            NOW,
            {},
            claim=lambda key: (owners[key[1]], timedelta(seconds=2)),
            fast=intake,
        )
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT event_id, user_ref, kind, text, status, claimed_by, claimed_until"
                    " FROM inbox ORDER BY id"
                )
            ).all()
            window = dict(
                conn.execute(
                    sa.text("SELECT platform_user_id, last_inbound_at FROM recipients")
                ).all()
            )
        assert [r.event_id for r in rows] == ["m1", "m2", "m3", "m4", "m5", "m6"]
        assert [r.kind for r in rows] == ["text", "text", "postback", "text", "text", "text"]
        assert "0912345678" not in rows[1].text
        assert {r.status for r in rows} == {"pending"}
        assert [r.claimed_by for r in rows] == [None, None, None, None, "host:0", "host:1"]
        assert rows[5].claimed_until == NOW + timedelta(seconds=2)
        assert window == {"psid-a": NOW, "psid-b": NOW, "psid-c": NOW}
    finally:
        await intake.close()
        engine.dispose()


async def test_recent_sender_window_not_rewritten_until_a_minute_passes(database: str) -> None:
    upgrade(database)
    intake, writer = PostgresIntake(database), BatchWriter(database)
    engine = sa.create_engine(sync_url(database))
    seen: dict[str, datetime] = {}
    try:
        await store_events(writer, [message("m1", "a", "xin chao")], ref, NOW, seen, fast=intake)
        later = NOW + timedelta(seconds=30)
        await store_events(writer, [message("m2", "a", "ban oi")], ref, later, seen, fast=intake)
        with engine.connect() as conn:
            first = conn.execute(sa.text("SELECT last_inbound_at FROM recipients")).scalar_one()
        assert first == NOW  # within the minute: no second write
        much_later = NOW + timedelta(minutes=5)
        await store_events(writer, [message("m3", "a", "hi")], ref, much_later, seen, fast=intake)
        with engine.connect() as conn:
            last = conn.execute(sa.text("SELECT last_inbound_at FROM recipients")).scalar_one()
            count = conn.execute(sa.text("SELECT count(*) FROM inbox")).scalar_one()
        assert last == much_later
        assert count == 3
    finally:
        await intake.close()
        engine.dispose()


async def test_connections_are_opened_before_the_first_webhook(database: str) -> None:
    upgrade(database)
    intake = PostgresIntake(database)
    try:
        await intake.warm(NOW)
        assert intake.connections == POOL_SIZE
        engine = sa.create_engine(sync_url(database))
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM inbox")).scalar_one() == 0
            assert conn.execute(sa.text("SELECT count(*) FROM recipients")).scalar_one() == 0
        engine.dispose()
    finally:
        await intake.close()
    # PostgreSQL down at start: the gateway still starts (webhooks get 503 until it is back).
    down = PostgresIntake("postgresql+asyncpg://postgres@127.0.0.1:1/none")
    await down.warm(NOW)
    await down.close()
