"""Typed keys of the admin sub-application, and the services its pages use.

The sub-application holds its own objects (bot/admin/app.py sets them); the pages never reach
into the gateway's app.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import web

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.admin.auth import SessionSigner
    from bot.admin.figures import FigureProvider
    from bot.admin.limiter import LoginLimiter
    from bot.db.writer import BatchWriter
    from bot.settings import Settings


class AdminServices(Protocol):
    """What the admin pages need of the runtime's services (bot/core/services.py has them)."""

    @property
    def engine(self) -> AsyncEngine: ...

    @property
    def writer(self) -> BatchWriter: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...

    @property
    def settings(self) -> Settings: ...


services_key: web.AppKey[AdminServices] = web.AppKey("admin_services")
signer_key: web.AppKey[SessionSigner] = web.AppKey("admin_signer")
limiter_key: web.AppKey[LoginLimiter] = web.AppKey("admin_limiter")
# Whether cookies are marked Secure (all but a plain-HTTP test deployment: ADMIN_INSECURE_COOKIES).
secure_key: web.AppKey[bool] = web.AppKey("admin_cookie_secure")
# The features' figures, in the order the dashboard and the report show them.
figures_key: web.AppKey[Sequence[FigureProvider[Any]]] = web.AppKey("admin_figures")


@dataclass(frozen=True)
class FeaturePages:
    """A feature's admin pages: `setup` adds their routes to the admin sub-application, and
    the feature's desk is put under `desk_key` when the gateway has built it (at startup)."""

    setup: Callable[[web.Application], None]
    desk_key: web.AppKey[Any]
