"""`GET /metrics` in the Prometheus text format.

Figures only (no user data). Expose it on the internal network; the reverse proxy in front of
the public routes should not forward it.
"""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import func, select

from bot.db.models import outbox
from bot.metrics import merge_expositions
from bot.web import keys


async def metrics(request: web.Request) -> web.Response:
    app = request.app
    registry = app[keys.services_key].metrics
    try:
        async with app[keys.services_key].engine.connect() as conn:
            depth = (
                await conn.execute(
                    select(func.count()).select_from(outbox).where(outbox.c.status == "pending")
                )
            ).scalar_one()
        registry.outbox_depth.set(depth)
    except Exception:  # the figures still come out while the database is away
        registry.errors.labels("metrics_db").inc()
    body = registry.render()
    # With a turn process (bot/pipeline/hints.py), turns and sends are counted there.
    turn_figures = getattr(app[keys.services_key].assistant, "turn_metrics", None)
    if turn_figures is not None:
        try:
            extra = await turn_figures()
        except Exception:
            registry.errors.labels("metrics_turns").inc()
        else:
            if extra:
                body = merge_expositions(body.decode(), extra)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def setup(app: web.Application) -> None:
    app.router.add_get("/metrics", metrics)
