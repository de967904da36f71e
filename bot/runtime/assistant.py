"""The Rasa agent of a process: in a child process, on a thread, or injected by a test."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import suppress

from aiohttp import web

from bot.engine.agent_process import AgentProcess
from bot.engine.runner import Assistant, AssistantRunner
from bot.engine.stores import sql_tracker_store
from bot.modelops.watch import ModelWatch
from bot.pipeline.hints import Affinity
from bot.runtime.resources import Context
from bot.settings import Settings
from bot.web import keys

log = logging.getLogger(__name__)


def assistant(
    settings: Settings, injected: Assistant | None, *, turns_apart: bool = False
) -> Context:
    """`turns_apart`: the child process also runs this worker's turns (bot/pipeline/hints.py)."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        services = app[keys.services_key]
        runner = injected or _build(app, settings, turns_apart)
        services.assistant = runner
        task = None
        if not runner.ready:
            # Load in the background: the server listens at once, /healthz answers, /readyz
            # says 503 until the model is in memory.
            task = asyncio.create_task(_load(runner))
            app[keys.load_task_key] = task
        yield
        if injected is not None:
            return
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        await runner.stop()

    return ctx


def _build(app: web.Application, settings: Settings, turns_apart: bool) -> Assistant:
    if settings.agent_mode != "process":
        return AssistantRunner(
            settings.model_path,
            tracker_store_factory=lambda domain: sql_tracker_store(settings.database_url, domain),
            redis_url=settings.redis_url,
            # The model an admin put in service (bot/modelops), swapped in without a restart.
            model_watch=ModelWatch(settings.database_url),
        )
    affinity = Affinity.from_settings(settings) if turns_apart else None
    if affinity is not None:
        app[keys.affinity_key] = affinity
    runner = AgentProcess(
        settings.model_path,
        settings.database_url,
        log_level=settings.log_level,
        turns=turns_apart,
        hint_socket=affinity.own_socket if affinity else None,
    )
    if turns_apart:
        app[keys.hint_socket_key] = runner.hint_socket
    return runner


async def _load(runner: Assistant) -> None:
    try:
        await runner.load()
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.error("the model could not be loaded: %s", exc)
