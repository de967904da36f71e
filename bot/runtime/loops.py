"""The gateway's background work: retention, idle sessions, the features' sweeps and, on
PostgreSQL, the vacuum of the queue tables."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Coroutine
from contextlib import suppress
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.core.services import Services
from bot.db.maintenance import VACUUM_INTERVAL_S, vacuum_due
from bot.features.data_rights.erasure import apply_retention, forget_sessions
from bot.features.registry import Installed
from bot.web import keys

log = logging.getLogger(__name__)

RETENTION_INTERVAL_S = 24 * 3600
SESSION_SWEEP_INTERVAL_S = 600
# Conversation state of citizens without consent is dropped after this long idle.
SESSION_KEEP = timedelta(hours=1)
FEATURE_SWEEP_INTERVAL_S = 30


async def background(app: web.Application) -> AsyncIterator[None]:
    services, features = app[keys.services_key], app[keys.features_key]
    work: list[Coroutine[Any, Any, None]] = [
        _retention_loop(services),
        _sweep_loop(services, features),
    ]
    if not services.settings.is_sqlite:
        work.append(_vacuum_loop(services))
    tasks = [asyncio.create_task(coro) for coro in work]
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with suppress(asyncio.CancelledError):
            await task


async def _sweep_loop(services: Services, features: Installed) -> None:
    """Each feature's periodic work (unclaimed handoffs, newsletter issues due)."""
    sweeps = [(f.sweep, features.desks.get(f.name)) for f in features.features if f.sweep]
    while True:
        await asyncio.sleep(FEATURE_SWEEP_INTERVAL_S)
        for sweep, desk in sweeps:
            try:
                await sweep(desk, services)
            except Exception as exc:
                log.error("campaign sweep failed: %s", type(exc).__name__)


async def _vacuum_loop(services: Services) -> None:
    """Keep the queue tables' scans short on PostgreSQL (bot/db/maintenance.py)."""
    while True:
        await asyncio.sleep(VACUUM_INTERVAL_S)
        try:
            vacuumed = await vacuum_due(services.engine)
            if vacuumed:
                log.info("vacuumed %s", ", ".join(vacuumed))
        except Exception as exc:
            log.warning("vacuum failed: %s", type(exc).__name__)


async def _retention_loop(services: Services) -> None:
    """Apply RETENTION_DAYS at start and daily; drop idle sessions without consent often."""
    last_retention = float(-RETENTION_INTERVAL_S)
    while True:
        writer, now = services.writer, services.clock()
        try:
            if time.monotonic() - last_retention >= RETENTION_INTERVAL_S:
                days = services.settings.retention_days
                removed = await apply_retention(writer, days, now)
                last_retention = time.monotonic()
                if removed:
                    log.info("retention: %d old rows deleted", removed)
            await forget_sessions(writer, SESSION_KEEP, now)
        except Exception as exc:
            log.error("retention failed: %s", type(exc).__name__)
        await asyncio.sleep(SESSION_SWEEP_INTERVAL_S)
