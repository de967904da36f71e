"""The turn process of a worker: the agent behind /turn, /parse, /ready on a Unix socket, with
the dispatcher and the relay, woken by hints from its gateway (bot/pipeline/hints.py)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from bot.engine.agent_process import (
    AGENT_NICENESS,
    add_agent_routes,
    agent_runner,
    exit_with_parent,
)
from bot.runtime.app import build_turn_process, utc_now
from bot.settings import Settings
from bot.web import keys
from bot.web.serving import serve


def serve_turn_process(socket_path: str, model: Path, settings: Settings, hints: Path) -> None:
    with contextlib.suppress(OSError):
        os.nice(AGENT_NICENESS)
    runner = agent_runner(model, settings.agent_database_url or None, settings.redis_url)
    app = build_turn_process(settings, runner, utc_now)
    app[keys.hint_socket_key] = hints
    add_agent_routes(app, runner)

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(body=request.app[keys.services_key].metrics.render())

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        if not runner.ready:
            await runner.load()
        yield
        await runner.stop()

    app.router.add_get("/metrics", metrics)
    # First in, last out: the runner stops after the dispatcher has finished its turns.
    app.cleanup_ctx.insert(0, lifecycle)
    app.cleanup_ctx.insert(0, exit_with_parent)
    # The parent watches for the socket file and /ready; SIGTERM stops the child cleanly.
    serve(app, stop_timeout_s=settings.stop_timeout_s, path=socket_path, handlers_timeout_s=5)
