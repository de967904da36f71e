"""The erasure's outbox hook: the confirmation of an erasure is sent from the one row kept for
it (bot/features/data_rights/erasure.py, `keep_recipient`); once it is settled, that row and
the raw platform id go too."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.core.privacy import rasa_sender_id
from bot.db.writer import BatchWriter
from bot.features.data_rights.erasure import erase
from bot.pipeline.hooks import SendHooks

# The outbox kind of an erasure's confirmation (a turn's last reply: Outcome.last_kind).
OUTBOX_KIND = "erasure"


def erasure_hooks(
    writer: BatchWriter, clock: Callable[[], datetime], forget: Callable[[str], None]
) -> SendHooks:
    """`forget(ref)`: drop the raw id from caches (bot.channels.recipients.RecipientDirectory)."""

    async def erase_last_traces(row: Any) -> None:
        await erase(
            writer,
            row.user_ref,
            [rasa_sender_id(row.platform, row.user_ref)],
            clock(),
            channel=row.platform,
        )
        forget(row.user_ref)

    return SendHooks(after_send=erase_last_traces)
