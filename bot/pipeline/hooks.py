"""What features do around the sending of their outbox rows, by the row's kind.

Every outbox row has a `kind` (a turn's reply is "reply"; features queue their own kinds, e.g.
"newsletter"). A feature registers for its kinds what must happen just before a row is sent
(still wanted? a newsletter is not sent to someone who unsubscribed meanwhile) and once it is
settled (an erasure's confirmation is out: erase the last traces). The relay knows the hooks,
never the features.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

REPLY = "reply"  # a turn's reply: the default kind, with no hooks

# `row` is the outbox row being sent (every column of bot.db.models.outbox).
BeforeSend = Callable[[Any], Awaitable[bool]]
AfterSend = Callable[[Any], Awaitable[None]]


@dataclass(frozen=True)
class SendHooks:
    """One kind's hooks. `before_send` False: the row is not sent but recorded `cancelled`
    with `skip_reason`. `after_send` runs once the row is settled by a send attempt (sent,
    or given up as dead or unknown), never for a cancelled row."""

    before_send: BeforeSend | None = None
    after_send: AfterSend | None = None
    skip_reason: str = "cancelled before sending"


class OutboundHooks:
    """The hooks of every kind, registered by the runtime from each feature's own."""

    def __init__(self, hooks: Mapping[str, SendHooks] | None = None) -> None:
        self._hooks: dict[str, SendHooks] = dict(hooks or {})

    def register(self, kind: str, hooks: SendHooks) -> None:
        if kind in self._hooks:
            raise ValueError(f"outbox kind {kind!r} has hooks already")
        self._hooks[kind] = hooks

    async def skip_reason(self, row: Any) -> str | None:
        """Why `row` must no longer be sent, or None to send it."""
        hooks = self._hooks.get(row.kind)
        if hooks is None or hooks.before_send is None or await hooks.before_send(row):
            return None
        return hooks.skip_reason

    async def after_send(self, row: Any) -> None:
        hooks = self._hooks.get(row.kind)
        if hooks is not None and hooks.after_send is not None:
            await hooks.after_send(row)
