"""INSERT ... ON CONFLICT for either engine (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

# Either dialect's INSERT takes `on_conflict_do_nothing` / `on_conflict_do_update`.
_DIALECTS = {"postgresql": postgresql, "sqlite": sqlite}


def insert_for(conn: Any, table: Table) -> Any:
    """An upsert-capable INSERT into `table` for the dialect of `conn` (a sync or an async
    connection)."""
    return dialect_insert(conn.dialect.name, table)


def dialect_insert(dialect: str, table: Table) -> Any:
    """The same for a dialect named in advance (statements built once per engine)."""
    return _DIALECTS.get(dialect, sqlite).insert(table)
