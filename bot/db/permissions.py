"""Files at rest readable by the service's own user only, whatever the umask: the SQLite
database with its WAL and shared-memory files, and the secret keys under var/, in a folder
nobody else may enter. Run before anything opens the database; older, looser files are
tightened at start-up."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
# SQLite gives its journal files the database file's permissions; older ones are tightened.
SIDECARS = ("-wal", "-shm", "-journal")
SECRET_PATTERN = "*.key"  # noqa: S105 (a file name pattern)


def sqlite_path(database_url: str) -> Path | None:
    """The database file of a SQLite URL; None for PostgreSQL or an in-memory database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(str(url.database))


def secure_storage(database_url: str, var_dir: Path) -> None:
    """Make var/ 0700 and its keys 0600; create the SQLite file 0600 before SQLite does, and
    tighten it and its journal files when they exist."""
    _private_dir(var_dir)
    for secret in var_dir.glob(SECRET_PATTERN):
        _private_file(secret)
    database = sqlite_path(database_url)
    if database is None:
        return
    if not database.parent.exists():
        database.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        _private_dir(database.parent)
    _create_private(database)
    for path in (database, *(Path(f"{database}{suffix}") for suffix in SIDECARS)):
        if path.exists():
            _private_file(path)


def _create_private(path: Path) -> None:
    # An empty file is an empty SQLite database; SQLite keeps the mode it finds.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return
    os.close(fd)


def _private_dir(path: Path) -> None:
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    _chmod(path, PRIVATE_DIR)


def _private_file(path: Path) -> None:
    if path.is_file():
        _chmod(path, PRIVATE_FILE)


def _chmod(path: Path, mode: int) -> None:
    try:
        if stat.S_IMODE(path.stat().st_mode) != mode:
            os.chmod(path, mode)
    except PermissionError:
        # Owned by another account (a deployment's choice): say so rather than stop.
        log.warning("could not make %s private (mode %o): not its owner", path, mode)
