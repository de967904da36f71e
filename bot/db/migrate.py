"""Apply Alembic migrations (what `make run` and `python -m bot db upgrade` do)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config

from bot.db.engine import ensure_sqlite_dir, sync_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    url = sync_url(database_url).render_as_string(hide_password=False)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    ensure_sqlite_dir(database_url)
    url = sync_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        # WAL is a property of the file: set once, every later connection (Rasa's too) uses it.
        with sqlite3.connect(url.database) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
    command.upgrade(alembic_config(database_url), revision)
