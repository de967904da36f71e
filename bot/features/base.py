"""What a feature is made of, and the base of the features' desks.

A feature is one package under bot/features/ that exposes `FEATURE`: how to build its desk from
the services, its chat handlers (before and after the NLU), what must happen around the sending
of its outbound messages, its figures for the dashboard and the monthly report, its admin pages
and its background work. bot/features/registry.py lists the features and the handlers' order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.conversation.chain import ChatHandlers

if TYPE_CHECKING:
    from bot.admin.figures import FigureProvider
    from bot.admin.keys import FeaturePages
    from bot.channels.recipients import RecipientDirectory
    from bot.core.services import Services
    from bot.pipeline.hooks import SendHooks


class Desk:
    """A feature's state and operations on the database, shared by its chat handlers, its admin
    pages and its background work."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._engine = services.engine
        self._writer = services.writer
        self._clock = services.clock


@dataclass(frozen=True)
class Feature:
    name: str
    # Its desk, built once from the services (None: a feature without state of its own).
    build: Callable[[Services], Any] | None = None
    # Its chat handlers, given the desk and the services.
    chat: Callable[[Any, Services], ChatHandlers] | None = None
    # Its admin pages: their routes, and the key its desk is put under once built.
    admin: FeaturePages | None = None
    # Background work of the gateway, run every half minute, given the desk and the services.
    sweep: Callable[[Any, Services], Awaitable[None]] | None = None
    # Its figures for the dashboard, /admin/api/stats and the monthly report.
    figures: FigureProvider[Any] | None = None
    # What must happen around the sending of the outbox rows it queues, by kind.
    outbox_hooks: Callable[[Services, RecipientDirectory], Mapping[str, SendHooks]] | None = None
