"""Lazy writes (bot/db/writer.py): a batch of them only is committed without waiting for the
WAL flush; one durable write in the batch makes the whole batch wait, as before."""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import Connection

from bot.db.writer import BatchWriter


def setting(conn: Connection) -> str:
    return str(conn.exec_driver_sql("SHOW synchronous_commit").scalar_one())


async def test_only_a_batch_of_lazy_writes_skips_the_flush_wait(database: str) -> None:
    writer = BatchWriter(database)
    writer.start()
    try:
        assert await writer.write(setting, lazy=True) == "off"
        assert await writer.write(setting) == "on"
        # Queued together, they share one transaction: it waits for the flush.
        mixed = await asyncio.gather(
            writer.write(setting, lazy=True),
            writer.write(setting),
            writer.write(setting, lazy=True),
        )
        assert mixed == ["on", "on", "on"] and writer.batches == 3
        # Intake (urgent) is never lazy, and the setting does not outlive its transaction.
        assert await writer.write(setting, urgent=True) == "on"
    finally:
        await writer.stop()
