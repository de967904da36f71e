"""Build the aiohttp application of a process: a whole assistant (one process, SQLite, tests),
the gateway of a worker (webhooks, web chat, admin), or its turn process (the agent, the
dispatcher and the relay)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timezone

from aiohttp import web

from bot.admin.app import create_admin_app, mount
from bot.admin.auth import SessionSigner
from bot.channels.facebook import deletion
from bot.core.privacy import resolve_secret
from bot.engine.runner import Assistant
from bot.features.registry import admin_pages, figure_providers
from bot.metrics import Metrics
from bot.runtime.assistant import assistant
from bot.runtime.delivery import Role, delivery
from bot.runtime.loops import background
from bot.runtime.resources import database
from bot.settings import Settings
from bot.web import health, keys, webchat, webhooks
from bot.web import metrics as metrics_route
from bot.web.encoding import refuse_encoded_bodies
from bot.web.errors import error_middleware
from bot.web.headers import security_headers

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def create_app(
    settings: Settings,
    *,
    runner: Assistant | None = None,
    clock: Callable[[], datetime] = utc_now,
    role: Role | None = None,
) -> web.Application:
    """The app of `role` (by default what the settings call for). `runner` may be injected
    (tests share one loaded model across apps)."""
    role = role or ("web" if runner is None and settings.turn_process else "all")
    if role == "turns":
        return build_turn_process(settings, runner, clock)
    return build_gateway(settings, runner, clock, turns_apart=role == "web")


def _base(settings: Settings, clock: Callable[[], datetime], *, prepare: bool) -> web.Application:
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[security_headers, error_middleware, refuse_encoded_bodies],
    )
    app[keys.settings_key] = settings
    metrics = Metrics()
    metrics.watch_trackers(lambda: _tracker_store(app))
    app.cleanup_ctx.append(database(settings, clock, metrics, prepare=prepare))
    return app


def build_gateway(
    settings: Settings,
    runner: Assistant | None,
    clock: Callable[[], datetime],
    *,
    turns_apart: bool,
) -> web.Application:
    """Webhooks, web chat and admin; with `turns_apart` its turns run in its turn process."""
    app = _base(settings, clock, prepare=True)
    app.cleanup_ctx.append(assistant(settings, runner, turns_apart=turns_apart))
    app.cleanup_ctx.append(_announce_channels)
    # Before the pipeline: torn down after it, once running turns and sends have finished.
    app.cleanup_ctx.append(background)
    app.cleanup_ctx.append(delivery("web" if turns_apart else "all"))
    for routes in (health, webchat, webhooks, deletion, metrics_route):
        routes.setup(app)
    signer = SessionSigner(
        resolve_secret(
            settings.admin_session_key, settings.var_dir, "admin_session.key", "ADMIN_SESSION_KEY"
        )
    )
    admin_app = create_admin_app(
        signer,
        # Browsers keep Secure cookies on http://127.0.0.1 too; only a plain-HTTP test
        # deployment on another address opts out (ADMIN_INSECURE_COOKIES).
        secure_cookies=not settings.admin_insecure_cookies,
        services=lambda: app[keys.services_key],
        desk=lambda name: app[keys.features_key].desk(name),
        feature_pages=admin_pages(),
        figures=figure_providers(),
    )
    mount(app, admin_app)
    return app


def build_turn_process(
    settings: Settings, runner: Assistant | None, clock: Callable[[], datetime]
) -> web.Application:
    """The agent, the dispatcher and the relay; its routes are the agent's
    (bot/runtime/turn_process.py)."""
    app = _base(settings, clock, prepare=False)
    app.cleanup_ctx.append(assistant(settings, runner))
    app.cleanup_ctx.append(delivery("turns"))
    return app


def _tracker_store(app: web.Application) -> object:
    """The agent's tracker store, when this process has one in memory (for /metrics)."""
    runner = getattr(app.get(keys.services_key), "assistant", None)
    return getattr(runner, "tracker_store", None)


async def _announce_channels(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.settings_key]
    log.info("web chat on: GET / and POST /webhooks/web")
    for name, channel in (("facebook", settings.facebook), ("zalo", settings.zalo)):
        if channel.enabled:
            log.info("channel %s on", name)
        else:
            log.info("channel %s off: %s unset", name, ", ".join(channel.missing))
    yield
