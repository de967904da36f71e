"""Which worker answers an inbox row and sends an outbox row.

Rows are claimed in the database, with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers that
scan at the same moment take disjoint rows without waiting on each other:
- a webhook's rows are claimed by the worker that acknowledged it when it has room for more
  conversations (it starts the turn at once), and left unclaimed when it is busy;
- a scan takes its own rows, and as many unclaimed or expired rows (a killed worker's) as it
  has room for;
- an outbox row is claimed for its send (`pending` -> `sending`) only when it is the oldest
  unsettled row of its conversation, so replies still leave in order.

SQLite (one process) runs the same statements: it ignores FOR UPDATE, and its single writer
already serialises them. Who works on a conversation right now is decided by the conversation
locks (bot/pipeline/locks.py); a claim says whose queue a row is in, and makes the send of a row
something the database knows about: a row left `sending` by a killed worker is not sent again
(the platform may have it already) but recorded as `unknown`, as a send that timed out is.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, text, update
from sqlalchemy.engine import Connection

from bot.core.privacy import mask_body
from bot.db.models import inbox, outbox

INBOX_LEASE = timedelta(seconds=20)
SEND_LEASE = timedelta(seconds=60)  # longer than any send with its retries (bot/channels)
UNSETTLED = ("pending", "sending")
SCAN_LIMIT = 500


def claimable(table: Any, me: str, now: datetime) -> Any:
    """Rows of `table` that `me` may take: unclaimed, its own, or whose claim expired."""
    return or_(table.c.claimed_by.is_(None), table.c.claimed_by == me, table.c.claimed_until < now)


def claim_inbox(conn: Connection, me: str, now: datetime, room: int) -> list[tuple[str, str]]:
    """This worker's pending rows, plus up to `room` unclaimed or expired ones (taken with
    SKIP LOCKED, so two scans never take the same row); their conversations, oldest first."""
    mine = conn.execute(
        select(inbox.c.id, inbox.c.platform, inbox.c.user_ref)
        .where(inbox.c.status == "pending", inbox.c.claimed_by == me)
        .order_by(inbox.c.id)
        .limit(SCAN_LIMIT)
    ).all()
    taken: list[Any] = []
    if room > 0:
        free = or_(inbox.c.claimed_by.is_(None), inbox.c.claimed_until < now)
        taken = conn.execute(
            select(inbox.c.id, inbox.c.platform, inbox.c.user_ref)
            .where(inbox.c.status == "pending", free)
            .order_by(inbox.c.id)
            .limit(room)
            .with_for_update(skip_locked=True)
        ).all()
        if taken:
            conn.execute(
                update(inbox)
                .where(inbox.c.id.in_([r.id for r in taken]))
                .values(claimed_by=me, claimed_until=now + INBOX_LEASE)
            )
    rows = sorted([*mine, *taken], key=lambda r: r.id)
    return list(dict.fromkeys((r.platform, r.user_ref) for r in rows))


# One round trip on PostgreSQL: lock the conversation's oldest pending row unless another
# worker holds it, and claim it if it is due and nothing older is still unsettled (SKIP LOCKED
# would otherwise hand out the second row while the first is being claimed elsewhere).
_CLAIM_SEND = """
UPDATE outbox SET status = 'sending', claimed_by = :me, claimed_until = :until
WHERE id = (
    SELECT id FROM outbox
    WHERE platform = :platform AND user_ref = :ref AND status = 'pending'
    ORDER BY id LIMIT 1 {lock}
)
AND next_attempt_at <= :now
AND NOT EXISTS (
    SELECT 1 FROM outbox AS earlier
    WHERE earlier.platform = :platform AND earlier.user_ref = :ref
      AND earlier.status IN ('pending', 'sending') AND earlier.id < outbox.id
)
RETURNING {columns}
"""


def _claim_send_statement(lock: str) -> Any:
    sql = _CLAIM_SEND.format(lock=lock, columns=", ".join(c.name for c in outbox.c))
    return (
        text(sql)
        .bindparams(
            bindparam("until", type_=outbox.c.claimed_until.type),
            bindparam("now", type_=outbox.c.next_attempt_at.type),
        )
        .columns(*outbox.c)
    )


_CLAIM_SEND_PG = _claim_send_statement("FOR UPDATE SKIP LOCKED")
_CLAIM_SEND_SQLITE = _claim_send_statement("")  # one process, one writer: nothing to skip


def claim_send(conn: Connection, key: tuple[str, str], me: str, now: datetime) -> Any:
    """Claim the conversation's oldest unsettled outbox row for sending, if it is due; None
    when there is nothing to send now (or an earlier row is being sent elsewhere)."""
    statement = _CLAIM_SEND_PG if conn.dialect.name == "postgresql" else _CLAIM_SEND_SQLITE
    params = {
        "me": me,
        "until": now + SEND_LEASE,
        "platform": key[0],
        "ref": key[1],
        "now": now,
    }
    return conn.execute(statement, params).first()


def abandon_sends(conn: Connection, now: datetime, me: str | None = None) -> int:
    """Rows left `sending` by a worker that died mid-send: the platform may or may not have
    them, so they are recorded as `unknown` rather than sent twice. `me` at start-up: this
    worker's own earlier life, whatever the lease says."""
    stale = outbox.c.claimed_until < now
    if me is not None:
        stale = or_(stale, outbox.c.claimed_by == me)
    rows = conn.execute(
        select(outbox.c.id, outbox.c.body).where(and_(outbox.c.status == "sending", stale))
    ).all()
    if not rows:
        return 0
    # Never sent again: the body kept for the retention period is masked.
    conn.execute(
        update(outbox)
        .where(and_(outbox.c.id == bindparam("row_id"), outbox.c.status == "sending"))
        .values(
            status="unknown",
            last_error="the worker stopped during the send",
            body=bindparam("masked"),
        ),
        [{"row_id": row.id, "masked": mask_body(row.body)} for row in rows],
    )
    return len(rows)
