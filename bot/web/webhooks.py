"""Platform webhooks: verify on the raw bytes, store, acknowledge; processing happens after.

    GET  /webhooks/facebook   verification handshake (hub.mode, hub.verify_token, hub.challenge)
    POST /webhooks/facebook   signed as bot/channels/facebook/signing.py says
    POST /webhooks/zalo       signed as bot/channels/zalo/signing.py says

Missing signature (the adapter's `signature_header`) -> 401, wrong signature -> 403, both before
anything is parsed or stored.
A signed body that cannot be understood is kept as a dead letter and answered 200, so the
platform does not retry it forever or disable the webhook. A replayed Zalo event, an event with
no sender and a policy notice are answered 200 too, logged and counted, never stored
(bot/channels/admission.py). If the database cannot commit, or
has not within ACK_TIMEOUT_S, the answer is 503 with Retry-After and the platform retries later:
nothing acknowledged is ever lost.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from typing import Any

from aiohttp import web

from bot.channels.admission import admit
from bot.channels.base import ChannelAdapter, InboundEvent, PayloadError
from bot.pipeline.inbox import dead_letter, store_events
from bot.web import keys
from bot.web.edge import ref_for
from bot.web.errors import json_error

log = logging.getLogger(__name__)


async def facebook_verify(request: web.Request) -> web.Response:
    settings = request.app[keys.settings_key].facebook
    if not settings.enabled:
        return json_error(404, "Kênh Facebook chưa được cấu hình.")
    mode = request.query.get("hub.mode", "")
    token = request.query.get("hub.verify_token", "")
    challenge = request.query.get("hub.challenge", "")
    if mode == "subscribe" and hmac.compare_digest(token.encode(), settings.verify_token.encode()):
        return web.Response(text=challenge, content_type="text/plain")
    return web.Response(status=403, text="forbidden", content_type="text/plain")


async def facebook_event(request: web.Request) -> web.Response:
    return await _receive(request, "facebook")


async def zalo_event(request: web.Request) -> web.Response:
    return await _receive(request, "zalo")


async def _receive(request: web.Request, platform: str) -> web.Response:
    adapter: ChannelAdapter | None = request.app[keys.adapters_key].get(platform)
    if adapter is None:
        return json_error(404, f"Kênh {platform} chưa được cấu hình.")
    started = time.perf_counter()
    app = request.app
    services = app[keys.services_key]
    metrics = services.metrics
    raw = await request.read()  # bounded by client_max_size: larger bodies get 413
    if not request.headers.get(adapter.signature_header):
        metrics.errors.labels("webhook_unsigned").inc()
        return json_error(401, "Thiếu chữ ký.")
    if not adapter.verify(request.headers, raw):
        log.warning("%s webhook with a bad signature rejected", platform)
        metrics.errors.labels("webhook_bad_signature").inc()
        return json_error(403, "Chữ ký không hợp lệ.")
    now = services.clock()
    try:
        events = adapter.parse(raw)
    except PayloadError as exc:
        log.warning("%s webhook signed but not understood: %s", platform, exc)
        metrics.dead_letters.labels(platform, "in").inc()
        try:
            await asyncio.wait_for(
                dead_letter(
                    services.writer,
                    platform=platform,
                    direction="in",
                    reason=str(exc),
                    body=raw,
                    now=now,
                ),
                services.settings.ack_timeout_s,
            )
        except Exception as store_exc:
            log.error("%s dead letter not stored: %s", platform, type(store_exc).__name__)
            return _not_stored(metrics)
        return web.json_response({"status": "dead-lettered"})
    # Replays, events with no sender and policy notices: acknowledged, logged, not stored.
    events = admit(adapter, events, now, metrics)

    def ref(event: InboundEvent) -> str:
        return ref_for(app, event.platform, event.page_id, event.user_id)

    dispatcher = app[keys.dispatcher_key]
    claim = dispatcher.claim()
    try:
        stored = await asyncio.wait_for(
            store_events(
                services.writer,
                events,
                ref,
                now,
                app[keys.seen_key],
                claim=claim,
                fast=app.get(keys.intake_key),
                metrics=metrics,
            ),
            # Whatever the store waits on (a connection, a statement, a lock), it has an end.
            services.settings.ack_timeout_s,
        )
    except Exception as exc:
        # Not committed: say so, and the platform will deliver it again.
        log.error("%s webhook not stored: %s", platform, type(exc).__name__)
        return _not_stored(metrics)
    dispatcher.offer(stored, claimed=claim is not None)
    if stored:
        metrics.messages_in.labels(platform).inc(len(stored))
    metrics.ack_latency.labels(platform).observe(time.perf_counter() - started)
    return web.json_response({"status": "ok"})


def _not_stored(metrics: Any) -> web.Response:
    """Not committed: say so, and the platform will deliver it again."""
    metrics.errors.labels("webhook_store").inc()
    response = json_error(503, "Tạm thời không lưu được, vui lòng gửi lại.")
    response.headers["Retry-After"] = "5"
    return response


def setup(app: web.Application) -> None:
    app.router.add_get("/webhooks/facebook", facebook_verify)
    app.router.add_post("/webhooks/facebook", facebook_event)
    app.router.add_post("/webhooks/zalo", zalo_event)
