"""The answers a process serves: content/answers.yml with the newest versions edited in the
browser over it, up to date at every turn on every worker without a restart.

Each turn starts with one read of the content's generation (the largest answer_versions id, an
index read); only when it moved are the newest versions read and the answers rebuilt. The
answers are then installed where the actions read them (actions.content.install). One source a
process: the database of the app that configured it last (tests run one app at a time).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool

from actions import content as answers
from bot.content import versions
from bot.db.engine import apply_sqlite_pragmas, ensure_sqlite_dir, sync_connect_args, sync_url

log = logging.getLogger(__name__)

_UNSET = object()


class LiveAnswers:
    def __init__(self, database_url: str, engine: Engine | None = None) -> None:
        self.database_url = database_url
        self._engine = engine or reader_engine(database_url)
        self._generation: Any = _UNSET
        self._lock = threading.Lock()
        self.reloads = 0

    def refresh(self) -> None:
        """Install the newest answers if they changed since the last turn. A database that does
        not answer leaves the answers as they were (the turn goes on)."""
        with self._lock:
            try:
                with self._engine.connect() as conn:
                    generation = conn.execute(versions.generation_query()).scalar()
                    if generation == self._generation:
                        return
                    edited = versions.newest_rows(conn) if generation is not None else {}
            except Exception as exc:
                log.warning(
                    "edited answers not read (%s): the last ones are served", type(exc).__name__
                )
                return
            answers.install(_merged(edited) if edited else None)
            self._generation = generation
            self.reloads += 1

    def close(self) -> None:
        self._engine.dispose()


def _merged(edited: dict[str, versions.Version]) -> answers.Content:
    """The files' answers with the edited ones over them. An answer dropped from the file is
    not served; a version that cannot be rendered (a link since removed from links.yml) leaves
    the file's answer in place."""
    links = answers.baseline().links
    entries = answers.load_entries()
    for intent, version in edited.items():
        # A new answer made from the review queue has no line in the file.
        if intent not in entries and not intent.startswith(versions.REVIEWED_PREFIX):
            continue
        try:
            answers.build_content({intent: version.entry.as_yaml()}, links)
        except (KeyError, ValueError, IndexError) as exc:
            log.error("edited answer %s not served: %s", intent, exc)
            continue
        entries[intent] = version.entry.as_yaml()
    return answers.build_content(entries, links)


def reader_engine(database_url: str) -> Engine:
    """One connection, kept open: it reads on the agent's thread and is closed on another
    (the lock in `refresh` keeps it to one thread at a time)."""
    ensure_sqlite_dir(database_url)
    url = sync_url(database_url)
    args = sync_connect_args(url)
    if url.get_backend_name() == "sqlite":
        args["check_same_thread"] = False
    engine = create_engine(
        url,
        future=True,
        poolclass=QueuePool,
        pool_size=1,
        max_overflow=1,
        connect_args=args,
        # Reads only: no transaction to end when the connection goes back to the pool, so a
        # turn costs one round trip, not two.
        isolation_level="AUTOCOMMIT",
    )
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", apply_sqlite_pragmas)
    return engine


_current: LiveAnswers | None = None


def configure(database_url: str) -> LiveAnswers:
    """This process's answers come from `database_url` from now on."""
    global _current
    if _current is not None and _current.database_url == database_url:
        return _current
    previous, _current = _current, LiveAnswers(database_url)
    if previous is not None:
        previous.close()
    answers.install(None)
    return _current


def release(live: LiveAnswers) -> None:
    """Back to the files alone, unless another app configured the process since."""
    global _current
    if _current is live:
        _current = None
        answers.install(None)
    live.close()


def refresh() -> None:
    """At the start of a turn, on the thread that runs it."""
    live = _current
    if live is not None:
        live.refresh()
