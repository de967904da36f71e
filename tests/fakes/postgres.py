"""The machine's PostgreSQL for tests: whether it answers, and fresh databases dropped after."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa

PG = "postgresql+psycopg2://postgres@127.0.0.1:5432"


def pg_up() -> bool:
    try:
        engine = sa.create_engine(f"{PG}/postgres")
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


@contextmanager
def fresh_databases(prefix: str) -> Iterator[Callable[[], str]]:
    """A factory of new, empty databases named `prefix`_<random> (psycopg2 URLs), every one
    dropped at the end, connections or not."""
    admin = sa.create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make() -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return f"{PG}/{name}"

    try:
        yield make
    finally:
        with admin.connect() as conn:
            for name in made:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
