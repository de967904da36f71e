"""What goes into the review queue, and what an admin's decision writes.

In the queue: a consenting citizen's typed question (not a button) of the last WINDOW that the
assistant did not understand, answered with a confidence below the setting, answered with a
question back (which topic? which service?), or whose answer got a thumbs-down; unless an admin
has already dealt with it (table reviewed_messages).

An admin's decision on a group writes, in one transaction: the group's distinct texts as
reviewed examples of the chosen intent (the training data of the next model; a text equal to
a line of the held-out set is left out, so the held-out figures stay honest), the group's
messages as reviewed, and a line of the audit log.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.content import versions
from bot.conversation.recording import NOT_RATED_TOPICS
from bot.db.models import (
    answer_versions,
    audit_log,
    feedback,
    messages,
    reviewed_examples,
    reviewed_messages,
)
from bot.db.writer import BatchWriter
from bot.nlu.text import folded_words, has_diacritics
from bot.review.grouping import Group, Item, group, training_text
from bot.settings import PROJECT_ROOT

WINDOW = timedelta(weeks=8)
# The newest messages of the window, at most: grouping them takes about a second.
ROW_CAP = 5000
FALLBACK_INTENT = "nlu_fallback"
CLARIFY_INTENTS = ("clarify", "service_choice")
HELDOUT = PROJECT_ROOT / "tests" / "data" / "heldout.tsv"
ASSIGN, ANSWER = "assign", "answer"
# The audit log's actions (32 characters at most).
AUDIT_ACTIONS = {ASSIGN: "review_assign", ANSWER: "review_answer"}
REVIEWED_PREFIX = versions.REVIEWED_PREFIX
_SLUG = re.compile(r"[^a-z0-9]+")


# A message reviewed: its id and its time (SQLite may give an erased citizen's last message id
# to the next message, which nobody has reviewed).
_REVIEWED = (reviewed_messages.c.message_id == messages.c.id) & (
    reviewed_messages.c.message_at == messages.c.created_at
)


class GroupGone(Exception):
    """No group has this key now: dealt with by someone else, or a stale page."""


@dataclass(frozen=True)
class Decision:
    examples: int  # reviewed examples written
    messages: int  # messages leaving the queue


def _reason(row: Any) -> str:
    if row.fallback or row.intent == FALLBACK_INTENT:
        return "fallback"
    if row.intent in CLARIFY_INTENTS:
        return "clarify"
    return "low_confidence"


def _typed(text: str | None) -> bool:
    return bool(text and text.strip() and not text.lstrip().startswith("/"))


async def items(engine: AsyncEngine, now: datetime, low_confidence: float) -> list[Item]:
    """The messages in the queue, the newest first."""
    since = now - WINDOW
    not_reviewed = reviewed_messages.c.message_id.is_(None)
    asked = (
        select(
            messages.c.id,
            messages.c.text,
            messages.c.created_at,
            messages.c.intent,
            messages.c.fallback,
        )
        .select_from(messages.outerjoin(reviewed_messages, _REVIEWED))
        .where(
            messages.c.direction == "in",
            messages.c.created_at >= since,
            messages.c.text.is_not(None),
            not_reviewed,
            or_(
                messages.c.fallback.is_(True),
                messages.c.intent == FALLBACK_INTENT,
                messages.c.intent.in_(CLARIFY_INTENTS),
                messages.c.confidence < low_confidence,
            ),
        )
        .order_by(messages.c.created_at.desc(), messages.c.id.desc())
        .limit(ROW_CAP)
    )
    ratings = (
        select(feedback.c.channel, feedback.c.user_ref, feedback.c.topic, feedback.c.created_at)
        .where(
            feedback.c.helpful.is_(False),
            feedback.c.created_at >= since,
            feedback.c.user_ref.is_not(None),
        )
        .order_by(feedback.c.created_at.desc())
        .limit(ROW_CAP)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(asked)).all()
        disliked = (await conn.execute(ratings)).all()
        rated = await _rated(conn, disliked, since) if disliked else []
    found: dict[int, Item] = {}
    for row in rows:
        if _typed(row.text):
            found[row.id] = Item(row.id, row.text.strip(), row.created_at, _reason(row))
    for item in rated:
        found.setdefault(item.message_id, item)
    return sorted(found.values(), key=lambda i: (i.created_at, i.message_id), reverse=True)[
        :ROW_CAP
    ]


async def _rated(conn: Any, disliked: list[Any], since: datetime) -> list[Item]:
    """The question each thumbs-down rated: the citizen's last typed message on that channel
    before the rating, of the rated answer's topic (a rating has no link to its message)."""
    refs = sorted({r.user_ref for r in disliked})
    query = (
        select(
            messages.c.id,
            messages.c.text,
            messages.c.created_at,
            messages.c.channel,
            messages.c.user_ref,
            messages.c.topic,
            reviewed_messages.c.message_id.label("done"),
        )
        .select_from(messages.outerjoin(reviewed_messages, _REVIEWED))
        .where(
            messages.c.direction == "in",
            messages.c.created_at >= since,
            messages.c.user_ref.in_(refs[:ROW_CAP]),
            messages.c.text.is_not(None),
        )
        .order_by(messages.c.created_at, messages.c.id)
    )
    asked: dict[tuple[str, str], list[Any]] = {}
    for row in (await conn.execute(query)).all():
        if _typed(row.text) and row.topic not in NOT_RATED_TOPICS:
            asked.setdefault((row.channel, row.user_ref), []).append(row)
    found: list[Item] = []
    for rating in disliked:
        before = [
            m
            for m in asked.get((rating.channel, rating.user_ref), [])
            if m.created_at <= rating.created_at
            and (rating.topic is None or m.topic == rating.topic)
        ]
        if before and before[-1].done is None:
            last = before[-1]
            found.append(Item(last.id, last.text.strip(), last.created_at, "thumbs_down"))
    return found


async def groups(engine: AsyncEngine, now: datetime, low_confidence: float) -> list[Group]:
    """The queue's groups, the biggest first."""
    found = await items(engine, now, low_confidence)
    # Up to a few seconds of arithmetic for a full window: off the event loop, where turns run.
    return await asyncio.to_thread(group, found)


def find(found: list[Group], key: str) -> Group:
    for candidate in found:
        if candidate.key == key:
            return candidate
    raise GroupGone(key)


@lru_cache(maxsize=1)
def heldout_readings(path: Path = HELDOUT) -> frozenset[str]:
    """The held-out set's texts, folded: a reviewed example equal to one is left out."""
    texts = set()
    # An installation without the tests has no held-out set to keep clean.
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        texts.add(_folded(line.split("\t")[-1]))
    return frozenset(texts)


def _folded(text: str) -> str:
    return folded_words(text, punctuation=True)


def examples(found: Group, heldout: Collection[str]) -> list[str]:
    """The group's distinct texts as training examples: one per folded text (the one with
    diacritics if any), none of the held-out set."""
    seen: set[str] = set()
    kept: list[str] = []
    # Of the same words with and without diacritics, the written-out one is kept.
    for item in sorted(found.items, key=lambda i: not has_diacritics(i.text)):
        text = training_text(item.text)
        folded = _folded(text)
        if not folded or folded in seen or folded in heldout:
            continue
        seen.add(folded)
        kept.append(text)
    return kept


async def decide(
    writer: BatchWriter,
    found: Group,
    intent: str,
    *,
    kind: str,
    reviewer: str,
    now: datetime,
    heldout: Collection[str] | None = None,
) -> Decision:
    """Write the admin's decision on `found`: its examples for `intent`, its messages
    reviewed, a line of the audit log. GroupGone if someone dealt with it in between."""
    texts = examples(found, heldout_readings() if heldout is None else heldout)
    ids = found.message_ids

    def work(conn: Connection) -> Decision:
        marked = conn.execute(
            select(reviewed_messages.c.message_id, reviewed_messages.c.message_at).where(
                reviewed_messages.c.message_id.in_(ids)
            )
        ).all()
        mine = {(i.message_id, i.created_at) for i in found.items}
        if any((row.message_id, row.message_at) in mine for row in marked):
            raise GroupGone(found.key)
        if marked:  # marks of erased messages whose ids SQLite gave again
            conn.execute(
                delete(reviewed_messages).where(
                    reviewed_messages.c.message_id.in_([row.message_id for row in marked])
                )
            )
        conn.execute(
            reviewed_messages.insert(),
            [
                {
                    "message_id": i.message_id,
                    "message_at": i.created_at,
                    "group_key": found.key,
                    "reviewed_at": now,
                }
                for i in found.items
            ],
        )
        if texts:
            conn.execute(
                reviewed_examples.insert(),
                [
                    {
                        "created_at": now,
                        "text": text,
                        "intent": intent,
                        "group_key": found.key,
                        "reviewer": reviewer,
                        "kind": kind,
                    }
                    for text in texts
                ],
            )
        conn.execute(
            audit_log.insert().values(created_at=now, action=AUDIT_ACTIONS[kind], rows=len(ids))
        )
        return Decision(examples=len(texts), messages=len(ids))

    try:
        return await writer.write(work)
    except IntegrityError as exc:  # another admin's decision on the same messages (PostgreSQL)
        raise GroupGone(found.key) from exc


async def reviewed_intents(engine: AsyncEngine) -> list[str]:
    """The intents made from groups (reviewed_*), in the order they were made."""
    query = (
        select(answer_versions.c.intent, func.min(answer_versions.c.id).label("first"))
        .where(answer_versions.c.intent.like(f"{REVIEWED_PREFIX}%"))
        .group_by(answer_versions.c.intent)
        .order_by("first")
    )
    async with engine.connect() as conn:
        return [row.intent for row in (await conn.execute(query)).all()]


def new_intent(found: Group, taken: Collection[str]) -> str:
    """`reviewed_` and a few words of the group's first question, made unique."""
    words = _SLUG.sub("_", _folded(training_text(found.items[0].text))).strip("_")
    slug = "_".join(w for w in words.split("_") if w)[:32].strip("_") or "cau_hoi"
    intent = f"{REVIEWED_PREFIX}{slug}"
    if intent in taken:
        intent = f"{intent}_{found.key[:6]}"
    return intent
