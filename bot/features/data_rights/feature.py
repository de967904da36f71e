"""A citizen's data rights, as the registry sees them (no state of its own)."""

from __future__ import annotations

from bot.channels.recipients import RecipientDirectory
from bot.core.services import Services
from bot.features.base import Feature
from bot.features.data_rights.chat import chat
from bot.features.data_rights.hooks import OUTBOX_KIND, erasure_hooks
from bot.pipeline.hooks import SendHooks


def outbox_hooks(services: Services, directory: RecipientDirectory) -> dict[str, SendHooks]:
    """An erasure's confirmation is sent first, then the last traces go."""
    return {OUTBOX_KIND: erasure_hooks(services.writer, services.clock, directory.forget)}


FEATURE = Feature("data_rights", chat=chat, outbox_hooks=outbox_hooks)
