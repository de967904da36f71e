"""Backup and restore of the whole database (the gateway's tables and Rasa's tracker store).

SQLite: the online backup API copies a consistent snapshot while the assistant keeps writing;
the copy is one self-contained file (no WAL beside it). PostgreSQL: `pg_dump --format=custom`
and `pg_restore`, with the connection from DATABASE_URL (the password goes through the
environment, never the command line). Backup files hold personal data: they are created 0600.

A restore goes into a fresh database (stop the assistant first) and refuses one that already
holds rows unless `force`; afterwards the restored schema revision is compared with the code's.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from bot.db.engine import sync_url
from bot.db.migrate import alembic_config

BACKUP_MODE = 0o600
SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
# Rasa's tracker table and ours are all in the default schema.
PG_SCHEMA = "public"


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why, for an operator."""


@dataclass(frozen=True)
class Restored:
    revision: str | None  # the schema revision in the restored database
    head: str  # the revision this code expects

    @property
    def current(self) -> bool:
        return self.revision == self.head


def backup(database_url: str, target: Path) -> None:
    """Write a backup of the database at `database_url` to `target` (a new file, 0600)."""
    if target.exists():
        raise BackupError(f"{target} already exists: choose a new file name")
    url = sync_url(database_url)
    partial = target.with_name(f".{target.name}.partial")
    _create_private(partial)
    try:
        if url.get_backend_name() == "sqlite":
            _sqlite_backup(_sqlite_path(url), partial)
        else:
            _pg_dump(url, partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def restore(database_url: str, source: Path, *, force: bool = False) -> Restored:
    """Restore `source` into the database at `database_url`, which must hold no rows unless
    `force`; return the restored schema revision and the one the code expects."""
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    url = sync_url(database_url)
    sqlite = url.get_backend_name() == "sqlite"
    _check_format(source, SQLITE_MAGIC if sqlite else PGDUMP_MAGIC)
    tables = holding_rows(url)
    if tables and not force:
        raise BackupError(
            "the target database is not empty (rows in " + ", ".join(sorted(tables)[:5]) + "):"
            " restore into a fresh database, or pass --force to replace its contents"
        )
    if sqlite:
        _sqlite_restore(source, _sqlite_path(url))
    else:
        _pg_restore(url, source, clean=bool(_table_names(url)))
    return Restored(revision_of(url), head_revision(database_url))


def holding_rows(url: URL) -> list[str]:
    """The tables of the database that hold at least one row (schema bookkeeping aside)."""
    if url.get_backend_name() == "sqlite" and not _sqlite_path(url).exists():
        return []
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            quote = conn.dialect.identifier_preparer.quote
            return [
                name
                for name in names
                if name != "alembic_version"
                and conn.execute(sa.text(f"SELECT 1 FROM {quote(name)} LIMIT 1")).first()  # noqa: S608
            ]
    finally:
        engine.dispose()


def revision_of(url: URL) -> str | None:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def head_revision(database_url: str) -> str:
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    if head is None:
        raise BackupError("no migrations found")
    return head


# -- SQLite --------------------------------------------------------------------------------


def _sqlite_path(url: URL) -> Path:
    if url.database in (None, "", ":memory:"):
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(str(url.database))


def _sqlite_backup(database: Path, target: Path) -> None:
    if not database.exists():
        raise BackupError(f"{database}: no such database")
    source = sqlite3.connect(database)
    copy = sqlite3.connect(target)
    try:
        # One step: the whole snapshot under one read transaction, consistent while others write.
        source.backup(copy)
        # One self-contained file: no WAL or shared-memory file next to the backup.
        copy.execute("PRAGMA journal_mode=DELETE")
        _check_integrity(copy, target)
    finally:
        copy.close()
        source.close()


def _sqlite_restore(source: Path, database: Path) -> None:
    database.parent.mkdir(parents=True, exist_ok=True)
    partial = database.with_name(f".{database.name}.restoring")
    partial.unlink(missing_ok=True)
    _create_private(partial)
    # Read-only: restoring never changes the backup file.
    backup_file = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    copy = sqlite3.connect(partial)
    try:
        _check_integrity(backup_file, source)
        backup_file.backup(copy)
        copy.execute("PRAGMA journal_mode=WAL")  # what bot.db.migrate.upgrade sets
    finally:
        copy.close()
        backup_file.close()
    try:
        # A stale WAL of the replaced database must not be replayed into the restored one.
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        os.replace(partial, database)
    finally:
        partial.unlink(missing_ok=True)


def _check_integrity(conn: sqlite3.Connection, path: Path) -> None:
    result = conn.execute("PRAGMA integrity_check").fetchone()
    if not result or result[0] != "ok":
        raise BackupError(f"{path}: the database file is damaged ({result and result[0]})")


# -- PostgreSQL ----------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """The newest installed `pg_dump` / `pg_restore` (a dump is read by the same or newer)."""
    found = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools")
    return on_path


def _libpq(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for the PostgreSQL tools; the password only in their environment."""
    args = ["--no-password", "--dbname", str(url.database or "")]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _run(command: list[str], env: dict[str, str], what: str, **kwargs: object) -> None:
    result = subprocess.run(command, env=env, stderr=subprocess.PIPE, check=False, **kwargs)  # type: ignore[call-overload]  # noqa: S603
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise BackupError(f"{what} failed: {detail[-1] if detail else result.returncode}")


def _pg_dump(url: URL, target: Path) -> None:
    args, env = _libpq(url)
    with open(target, "wb") as out:
        _run(
            [pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", *args],
            env,
            "pg_dump",
            stdout=out,
        )


def _pg_restore(url: URL, source: Path, *, clean: bool) -> None:
    args, env = _libpq(url)
    command = [pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error"]
    # All or nothing: a failed restore leaves the target as it was.
    command.append("--single-transaction")
    if clean:
        command += ["--clean", "--if-exists"]
    _run([*command, *args, str(source)], env, "pg_restore")


def _table_names(url: URL) -> list[str]:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return sa.inspect(conn).get_table_names(schema=PG_SCHEMA)
    finally:
        engine.dispose()


# -- files ---------------------------------------------------------------------------------


def _create_private(path: Path) -> None:
    """An empty file only its owner can read, whatever the umask."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, BACKUP_MODE)
    os.close(fd)
    os.chmod(path, BACKUP_MODE)


def _check_format(path: Path, magic: bytes) -> None:
    with open(path, "rb") as f:
        start = f.read(len(magic))
    if start != magic:
        kind = "SQLite" if magic == SQLITE_MAGIC else "pg_dump (custom format)"
        raise BackupError(f"{path} is not a {kind} backup of this database kind")
