"""Vacuum of the queue tables on PostgreSQL when they need it.

The inbox and outbox are queues: every row is inserted, updated two or three times (claimed,
done or sent) and later deleted by retention, so each leaves dead row versions behind. Until a
VACUUM removes them, every scan for pending rows walks them in the indexes, and the relay's
scan for due replies grows slower all the time (README, "Several workers").

Autovacuum's defaults wait for a fifth of a table to be dead, far too late for a queue, and
some servers run without it. So the gateway checks the tables' dead-row counts (one query of
`pg_stat_user_tables`) every VACUUM_INTERVAL_S and vacuums those past the threshold itself.
`SKIP_LOCKED`: when another worker (or autovacuum) is vacuuming a table, it is left to them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.models import citizens, conversations, handoffs, inbox, outbox, recipients

VACUUM_INTERVAL_S = 30.0
# Tables whose rows change state (not Rasa's append-only `events`, which needs ANALYZE only as
# it grows; the vacuum's ANALYZE of these keeps the planner's figures current too).
QUEUE_TABLES = tuple(
    table.name for table in (inbox, outbox, recipients, citizens, conversations, handoffs)
)
MIN_DEAD_ROWS = 1000
DEAD_SHARE = 0.1  # of the live rows

_DUE = text(
    "SELECT relname FROM pg_stat_user_tables"
    " WHERE schemaname = current_schema() AND relname = ANY(:tables)"
    " AND n_dead_tup >= GREATEST(:min_dead, :share * n_live_tup)"
)


async def vacuum_due(engine: AsyncEngine) -> list[str]:
    """Vacuum (and analyze) the queue tables with many dead rows; the tables vacuumed."""
    if engine.dialect.name != "postgresql":
        return []  # SQLite reuses freed pages itself; nothing piles up in the indexes
    async with engine.connect() as conn:
        # VACUUM cannot run inside a transaction.
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        due: list[Any] = (
            await conn.execute(
                _DUE,
                {"tables": list(QUEUE_TABLES), "min_dead": MIN_DEAD_ROWS, "share": DEAD_SHARE},
            )
        ).all()
        tables = [row.relname for row in due]
        if tables:
            # Names come from the fixed list above, never from input.
            await conn.execute(text(f"VACUUM (ANALYZE, SKIP_LOCKED) {', '.join(tables)}"))
    return tables
