"""The channels of a process and the pipeline between them: adapters and senders, the
dispatcher and the outbox relay here, or (a gateway with a turn process) the link to them."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import suppress
from datetime import timedelta
from typing import Literal

import aiohttp
from aiohttp import web

from bot.channels.base import ChannelAdapter
from bot.channels.facebook.adapter import FacebookAdapter
from bot.channels.facebook.send import FacebookSender
from bot.channels.recipients import RecipientDirectory
from bot.channels.send import Sender
from bot.channels.zalo.adapter import ZaloAdapter
from bot.channels.zalo.send import ZaloSender
from bot.channels.zalo.tokens import ZaloTokenManager
from bot.core.services import Services
from bot.features.registry import outbox_hooks
from bot.pipeline.dispatcher import Dispatcher
from bot.pipeline.hints import SendWaker, TurnIntake, TurnsLink, listen
from bot.pipeline.ratelimit import RateLimiter
from bot.pipeline.relay import Relay
from bot.runtime.resources import Context
from bot.web import keys

log = logging.getLogger(__name__)

# "all": one process does everything (SQLite, tests); "web": the gateway of a worker whose turns
# run in its turn process (bot/pipeline/hints.py); "turns": that turn process (no public routes).
Role = Literal["all", "web", "turns"]

SHUTDOWN_GRACE_S = 8.0
# Send rates per page/OA (requests/s, burst): Messenger allows 300/s per page; Zalo's limit is
# per app (4000/min) and undocumented per OA, so it stays conservative.
SEND_RATES = {"facebook": (100.0, 20), "zalo": (10.0, 10)}


async def _channel_clients(
    services: Services, session: aiohttp.ClientSession, app: web.Application
) -> tuple[dict[str, ChannelAdapter], dict[str, Sender]]:
    """The adapters and senders of the channels whose settings are complete."""
    settings = services.settings
    adapters: dict[str, ChannelAdapter] = {}
    senders: dict[str, Sender] = {}
    if settings.facebook.enabled:
        adapters["facebook"] = FacebookAdapter(
            settings.facebook.app_secret, settings.facebook.app_id
        )
        senders["facebook"] = FacebookSender(
            session, settings.facebook.graph_url, settings.facebook.page_access_token
        )
    if settings.zalo.enabled:
        tokens = ZaloTokenManager.from_settings(
            services.engine, session, settings.zalo, services.clock, locks=services.locks
        )
        await tokens.ensure_initial()
        app[keys.zalo_tokens_key] = tokens
        adapters["zalo"] = ZaloAdapter(
            settings.zalo.app_id, settings.zalo.oa_secret_key, settings.zalo.replay_window_s
        )
        senders["zalo"] = ZaloSender(session, settings.zalo.api_url, tokens)
    return adapters, senders


def delivery(role: Role) -> Context:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        services = app[keys.services_key]
        session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30, connect=5))
        app[keys.http_key] = session
        adapters, senders = await _channel_clients(services, session, app)
        app[keys.adapters_key] = adapters
        app[keys.senders_key] = senders
        directory = RecipientDirectory(services.engine)
        app[keys.directory_key] = directory
        link: TurnsLink | None = None
        relay: Relay | None = None
        dispatcher: Dispatcher | None = None
        if role == "web":
            # The gateway of a two-process worker: its turn process answers and sends.
            link = TurnsLink(app[keys.hint_socket_key], app.get(keys.affinity_key))
            waker: SendWaker = link
            intake: TurnIntake = link
        else:
            relay = Relay(
                services.engine,
                services.writer,
                directory,
                senders,
                RateLimiter(SEND_RATES),
                services.clock,
                worker_id=services.settings.worker_id,
                hooks=outbox_hooks(services, directory),
                metrics=services.metrics,
                locks=services.locks,
            )
            dispatcher = Dispatcher(
                app[keys.conversation_key].handle,
                engine=services.engine,
                writer=services.writer,
                locks=services.locks,
                ready=lambda: services.assistant is not None and services.assistant.ready,
                directory=directory,
                adapters=adapters,
                senders=senders,
                clock=services.clock,
                wake_relay=relay.wake,
                worker_id=services.settings.worker_id,
                staff_pause=timedelta(minutes=services.settings.staff_pause_min),
            )
            waker, intake = relay, dispatcher
        services.outbound.render = lambda platform, replies: adapters[platform].render(replies)
        services.outbound.wake = waker.wake
        app[keys.relay_key] = waker
        app[keys.dispatcher_key] = intake
        tasks: list[asyncio.Task[None]] = []
        hints: asyncio.BaseTransport | None = None
        if relay is not None and dispatcher is not None:
            tasks += [asyncio.create_task(relay.run()), asyncio.create_task(dispatcher.run())]
            if role == "turns":
                hints = await listen(app[keys.hint_socket_key], dispatcher, relay)
        yield
        if hints is not None:
            hints.close()
        if link is not None:
            link.close()
        if relay is not None and dispatcher is not None:
            await _finish(dispatcher, relay)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task
        await session.close()

    return ctx


async def _finish(dispatcher: Dispatcher, relay: Relay) -> None:
    """Intake has stopped (the site is closed): finish running turns, then pending sends."""
    started = time.monotonic()
    await dispatcher.stop(SHUTDOWN_GRACE_S)
    turns_s = time.monotonic() - started
    await relay.stop(SHUTDOWN_GRACE_S / 2)
    log.info(
        "shutdown: running turns finished in %.1f s, sends in %.1f s",
        turns_s,
        time.monotonic() - started - turns_s,
    )
