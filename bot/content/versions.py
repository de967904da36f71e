"""The versions of the answers edited in the browser (table answer_versions). Version 0 of an
answer is content/answers.yml; each save or rollback adds the next version, with its author and
note, and a line in the audit log. The newest version is what citizens are answered with."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.content.entries import Entry
from bot.db.models import answer_versions, audit_log
from bot.db.writer import BatchWriter

# The audit log's actions (audit_log.action holds no more than 32 characters).
EDIT_ACTION = "answer_edit"
ROLLBACK_ACTION = "answer_rollback"
FILE_AUTHOR = "content/answers.yml"
# Answers written for a group of the review queue (/admin/review) have no line in the file.
REVIEWED_PREFIX = "reviewed_"


@dataclass(frozen=True)
class Version:
    entry: Entry
    version: int
    author: str
    created_at: datetime | None  # None: the file
    note: str = ""


class Conflict(Exception):
    """Someone saved another version since the form was opened."""


def from_file(entry: Entry) -> Version:
    return Version(entry=entry, version=0, author=FILE_AUTHOR, created_at=None)


def _version(row: Any) -> Version:
    entry = Entry(
        intent=row.intent,
        title=row.title,
        messages=tuple(json.loads(row.messages)),
        buttons=tuple(json.loads(row.buttons)),
        source=row.source,
        as_of=row.as_of,
        review_by=row.review_by,
        factual=bool(row.factual),
    )
    return Version(entry, row.version, row.author, row.created_at, row.note)


def generation_query() -> Any:
    """The content's generation: it grows with every save (an index read of the primary key)."""
    return select(func.max(answer_versions.c.id))


def newest_query() -> Any:
    latest = (
        select(answer_versions.c.intent, func.max(answer_versions.c.version).label("version"))
        .group_by(answer_versions.c.intent)
        .subquery()
    )
    return select(answer_versions).join(
        latest,
        (answer_versions.c.intent == latest.c.intent)
        & (answer_versions.c.version == latest.c.version),
    )


def newest_rows(conn: Connection) -> dict[str, Version]:
    """The newest version of every edited answer (synchronous: the turn's reader)."""
    return {row.intent: _version(row) for row in conn.execute(newest_query())}


async def newest(engine: AsyncEngine) -> dict[str, Version]:
    async with engine.connect() as conn:
        rows = (await conn.execute(newest_query())).all()
    return {row.intent: _version(row) for row in rows}


async def history(engine: AsyncEngine, baseline: Entry) -> list[Version]:
    """Every version of `baseline`'s answer, the newest first, the file's last."""
    query = (
        select(answer_versions)
        .where(answer_versions.c.intent == baseline.intent)
        .order_by(answer_versions.c.version.desc())
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [_version(row) for row in rows] + [from_file(baseline)]


async def save(
    writer: BatchWriter,
    entry: Entry,
    *,
    author: str,
    note: str,
    now: datetime,
    after: int,
    rollback: bool = False,
) -> int:
    """Write `entry` as the version after `after` (the one the form showed) and its audit line;
    Conflict if another version came in between. Returns the new version."""

    def work(conn: Connection) -> int:
        current = conn.execute(
            select(func.max(answer_versions.c.version)).where(
                answer_versions.c.intent == entry.intent
            )
        ).scalar()
        if (current or 0) != after:
            raise Conflict
        conn.execute(
            answer_versions.insert().values(
                intent=entry.intent,
                version=after + 1,
                title=entry.title,
                messages=json.dumps(list(entry.messages), ensure_ascii=False),
                buttons=json.dumps(list(entry.buttons)),
                source=entry.source,
                as_of=entry.as_of,
                review_by=entry.review_by,
                factual=entry.factual,
                author=author,
                created_at=now,
                note=note,
            )
        )
        action = ROLLBACK_ACTION if rollback else EDIT_ACTION
        conn.execute(audit_log.insert().values(created_at=now, action=action, rows=1))
        return after + 1

    try:
        return await writer.write(work)
    except IntegrityError as exc:  # two saves of the same version at once (PostgreSQL)
        raise Conflict from exc
