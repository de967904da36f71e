"""Liveness and readiness probes."""

from __future__ import annotations

from aiohttp import web

from bot import keys
from bot.db.engine import ping


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    app = request.app
    runner = app[keys.runner_key]
    checks = {
        "model": runner.ready,
        "database": await ping(app[keys.db_key]),
    }
    ready = all(checks.values())
    body: dict[str, object] = {"status": "ready" if ready else "starting", "checks": checks}
    if runner.load_error is not None:
        body["status"] = "model_failed"
    return web.json_response(body, status=200 if ready else 503)


def setup(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
