"""Liveness and readiness probes."""

from __future__ import annotations

from aiohttp import web

from bot.db.engine import ping
from bot.web import keys


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    services = request.app[keys.services_key]
    runner = services.assistant  # None until the runtime has set the agent (or its link) up
    checks = {
        "model": runner is not None and runner.ready,
        "database": await ping(services.engine),
    }
    ready = all(checks.values())
    body: dict[str, object] = {"status": "ready" if ready else "starting", "checks": checks}
    if runner is not None and runner.load_error is not None:
        body["status"] = "model_failed"
    return web.json_response(body, status=200 if ready else 503)


def setup(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
