"""The aiohttp application factory: routes, resources and background work in cleanup contexts."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import suppress
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Literal

import aiohttp
from aiohttp import web

from actions.content import content
from bot import handoff, keys
from bot.admin import routes as admin_routes
from bot.admin.auth import SessionSigner, ensure_first_admin
from bot.channels.base import ChannelAdapter
from bot.channels.facebook import FacebookAdapter
from bot.channels.senders import FacebookSender, Sender, ZaloSender
from bot.channels.zalo import ZaloAdapter
from bot.channels.zalo_tokens import ZaloTokenManager
from bot.citizens import CitizenRegistry, RedisSessions
from bot.contest import ContestDesk
from bot.coordination import make_locks
from bot.db.engine import create_engine
from bot.db.intake import PostgresIntake
from bot.db.migrate import upgrade
from bot.db.writer import BatchWriter
from bot.dispatcher import Dispatcher
from bot.engine.agent_process import AgentProcess
from bot.engine.runner import Assistant, AssistantRunner
from bot.engine.stores import sql_tracker_store
from bot.engine.topics import TopicMap
from bot.events import EventsDesk
from bot.guidance import GuidanceLog
from bot.handoff import HandoffDesk
from bot.metrics import Metrics
from bot.newsletter import NewsletterDesk
from bot.outbox import Relay
from bot.privacy import resolve_pseudonym_key, resolve_secret
from bot.quiz import bank as quiz_bank
from bot.quiz.play import QuizDesk
from bot.ratelimit import RateLimiter
from bot.recipients import RecipientDirectory
from bot.recording import MessageRecorder
from bot.settings import Settings
from bot.turn_link import Affinity, SendWaker, TurnIntake, TurnsLink, listen
from bot.web import deletion, health, webchat, webhooks
from bot.web import metrics as metrics_route
from bot.web.errors import error_middleware

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


# "all": one process does everything (SQLite, tests); "web": the gateway of a worker whose turns
# run in its turn process (bot/turn_link.py); "turns": that turn process (no public routes).
Role = Literal["all", "web", "turns"]


def create_app(
    settings: Settings,
    *,
    runner: Assistant | None = None,
    clock: Callable[[], datetime] = utc_now,
    role: Role | None = None,
) -> web.Application:
    """Build the app. `runner` may be injected (tests share one loaded model across apps)."""
    role = role or ("web" if runner is None and settings.turn_process else "all")
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[error_middleware])
    app[keys.settings_key] = settings
    app[keys.clock_key] = clock
    app[keys.topics_key] = TopicMap.load()
    app[keys.pseudonym_key_key] = resolve_pseudonym_key(settings.pseudonym_key, settings.var_dir)
    app[keys.metrics_key] = Metrics()
    app[keys.metrics_key].watch_trackers(
        lambda: getattr(app.get(keys.runner_key), "tracker_store", None)
    )
    app.cleanup_ctx.append(partial(_database, prepare=role != "turns"))
    app.cleanup_ctx.append(_assistant_ctx(runner, turns_apart=role == "web"))
    if role != "turns":
        app.cleanup_ctx.append(_announce_channels)
    app.cleanup_ctx.append(partial(_channels, role=role))
    if role == "turns":
        return app  # its routes (the agent's) are added by bot.engine.agent_process
    health.setup(app)
    webchat.setup(app)
    webhooks.setup(app)
    deletion.setup(app)
    metrics_route.setup(app)
    admin_routes.setup(
        app,
        SessionSigner(
            resolve_secret(
                settings.admin_session_key,
                settings.var_dir,
                "admin_session.key",
                "ADMIN_SESSION_KEY",
            )
        ),
        # Browsers keep Secure cookies on http://127.0.0.1 too, but a plain-HTTP deployment on
        # another address would silently lose them; behind the HTTPS proxy they are Secure.
        secure_cookies=settings.host not in LOOPBACK_HOSTS,
    )
    return app


async def _database(app: web.Application, *, prepare: bool) -> AsyncIterator[None]:
    """Engine, writer and the desks on them. `prepare`: migrate and seed (the gateway does it
    before it starts its turn process)."""
    url = app[keys.settings_key].database_url
    if prepare:
        # Idempotent and quick when the schema is current; runs before anything touches a table.
        await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    writer = BatchWriter(url)
    writer.start()
    app[keys.db_key] = engine
    app[keys.writer_key] = writer
    intake = None
    warming: asyncio.Task[None] | None = None
    if prepare and not app[keys.settings_key].is_sqlite:
        intake = PostgresIntake(url)
        app[keys.intake_key] = intake
        warming = asyncio.create_task(intake.warm(app[keys.clock_key]()))
    app[keys.seen_key] = {}
    app[keys.recorder_key] = MessageRecorder(writer, app[keys.clock_key])
    settings = app[keys.settings_key]
    # Several workers (REDIS_URL set) share the database: each citizen is read fresh per message.
    registry = CitizenRegistry(
        engine,
        writer,
        app[keys.clock_key],
        cache=not settings.redis_url,
        sessions=RedisSessions(settings.redis_url) if settings.redis_url else None,
    )
    app[keys.locks_key] = make_locks(settings.redis_url)
    app[keys.citizens_key] = registry
    desk = HandoffDesk(engine, writer, app[keys.clock_key])
    desk.on_closed = registry.drop_handoff
    app[keys.handoff_key] = desk
    app[keys.quiz_key] = QuizDesk(engine, writer, registry, app[keys.clock_key])
    app[keys.newsletter_key] = NewsletterDesk(engine, writer, registry, app[keys.clock_key])
    app[keys.events_key] = EventsDesk(engine, writer, app[keys.clock_key])
    app[keys.contest_key] = ContestDesk(engine, writer, registry, app[keys.clock_key])
    app[keys.guidance_key] = GuidanceLog(engine, writer, app[keys.clock_key])
    if prepare:
        seeded = await quiz_bank.seed(writer, app[keys.clock_key]())
        if seeded:
            log.info("quiz bank seeded with %d questions from content/quiz.yml", seeded)
        if await ensure_first_admin(
            writer, engine, app[keys.settings_key].admin_password, app[keys.clock_key]()
        ):
            log.info("first admin account 'admin' created from ADMIN_PASSWORD")
    yield
    if warming is not None:
        warming.cancel()
        with suppress(asyncio.CancelledError):
            await warming
    if intake is not None:
        await intake.close()
    await app[keys.locks_key].close()
    await app[keys.citizens_key].close()
    await writer.stop()
    await engine.dispose()


def _assistant_ctx(
    injected: Assistant | None, *, turns_apart: bool = False
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[keys.settings_key]
        if injected is not None:
            app[keys.runner_key] = injected
            if not injected.ready:
                app[keys.load_task_key] = asyncio.create_task(_load(injected))
            yield
            return
        runner: Assistant
        if settings.agent_mode == "process":
            affinity = Affinity.from_env() if turns_apart else None
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
        else:
            runner = AssistantRunner(
                settings.model_path,
                tracker_store_factory=lambda domain: sql_tracker_store(
                    settings.database_url, domain
                ),
                redis_url=settings.redis_url,
            )
        app[keys.runner_key] = runner
        # Load in the background: the server listens at once, /healthz answers, /readyz says
        # 503 until the model is in memory.
        task = asyncio.create_task(_load(runner))
        app[keys.load_task_key] = task
        yield
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        await runner.stop()

    return ctx


async def _load(runner: Assistant) -> None:
    try:
        await runner.load()
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.error("the model could not be loaded: %s", exc)


async def _announce_channels(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.settings_key]
    log.info("web chat on: GET / and POST /webhooks/web")
    for name, channel in (("facebook", settings.facebook), ("zalo", settings.zalo)):
        if channel.enabled:
            log.info("channel %s on", name)
        else:
            log.info("channel %s off: %s unset", name, ", ".join(channel.missing))
    yield


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
SHUTDOWN_GRACE_S = 8.0
RETENTION_INTERVAL_S = 24 * 3600


HANDOFF_SWEEP_INTERVAL_S = 30


async def _handoff_loop(app: web.Application) -> None:
    """Apologise to citizens whose handoff nobody claimed in time; send newsletter issues whose
    time has come."""
    settings = app[keys.settings_key]
    hotline = f" Bạn có thể gọi {settings.handoff_hotline}." if settings.handoff_hotline else ""
    apology = handoff.APOLOGY.format(
        hotline=hotline, pakn=content().links.get("province_pakn", "")
    )
    while True:
        await asyncio.sleep(HANDOFF_SWEEP_INTERVAL_S)
        try:
            await app[keys.handoff_key].expire_unclaimed(
                timedelta(minutes=settings.handoff_timeout_min), apology
            )
            await app[keys.newsletter_key].send_due()
        except Exception as exc:
            log.error("campaign sweep failed: %s", type(exc).__name__)


async def _vacuum_loop(app: web.Application) -> None:
    """Keep the queue tables' scans short on PostgreSQL (bot/db/maintenance.py)."""
    from bot.db.maintenance import VACUUM_INTERVAL_S, vacuum_due

    while True:
        await asyncio.sleep(VACUUM_INTERVAL_S)
        try:
            vacuumed = await vacuum_due(app[keys.db_key])
            if vacuumed:
                log.info("vacuumed %s", ", ".join(vacuumed))
        except Exception as exc:
            log.warning("vacuum failed: %s", type(exc).__name__)


SESSION_SWEEP_INTERVAL_S = 600
# Conversation state of citizens without consent is dropped after this long idle.
SESSION_KEEP = timedelta(hours=1)


async def _retention_loop(app: web.Application) -> None:
    """Apply RETENTION_DAYS at start and daily; drop idle sessions without consent often."""
    from bot.data_rights import apply_retention, forget_sessions

    last_retention = float(-RETENTION_INTERVAL_S)
    while True:
        writer, now = app[keys.writer_key], app[keys.clock_key]()
        try:
            if time.monotonic() - last_retention >= RETENTION_INTERVAL_S:
                removed = await apply_retention(writer, app[keys.settings_key].retention_days, now)
                last_retention = time.monotonic()
                if removed:
                    log.info("retention: %d old rows deleted", removed)
            await forget_sessions(writer, SESSION_KEEP, now)
        except Exception as exc:
            log.error("retention failed: %s", type(exc).__name__)
        await asyncio.sleep(SESSION_SWEEP_INTERVAL_S)


# Send rates per page/OA (requests/s, burst): Messenger allows 300/s per page; Zalo's limit is
# per app (4000/min) and undocumented per OA, so it stays conservative.
SEND_RATES = {"facebook": (100.0, 20), "zalo": (10.0, 10)}


async def _channels(app: web.Application, role: Role) -> AsyncIterator[None]:
    """HTTP client, channel adapters and senders, the dispatcher and the outbox relay (here,
    or the link to them in the turn process)."""
    settings = app[keys.settings_key]
    clock = app[keys.clock_key]
    engine = app[keys.db_key]
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30, connect=5))
    app[keys.http_key] = session
    adapters: dict[str, ChannelAdapter] = {}
    senders: dict[str, Sender] = {}
    if settings.facebook.enabled:
        adapters["facebook"] = FacebookAdapter(settings.facebook.app_secret)
        senders["facebook"] = FacebookSender(
            session, settings.facebook.graph_url, settings.facebook.page_access_token
        )
    if settings.zalo.enabled:
        tokens = ZaloTokenManager.from_settings(
            engine, session, settings.zalo, clock, locks=app[keys.locks_key]
        )
        await tokens.ensure_initial()
        app[keys.zalo_tokens_key] = tokens
        adapters["zalo"] = ZaloAdapter(settings.zalo.app_id, settings.zalo.oa_secret_key)
        senders["zalo"] = ZaloSender(session, settings.zalo.api_url, tokens)
    app[keys.adapters_key] = adapters
    app[keys.senders_key] = senders
    directory = RecipientDirectory(engine)
    app[keys.directory_key] = directory
    # The gateway of a two-process worker links to its turn process, which answers and sends.
    link: TurnsLink | None = None
    relay: Relay | None = None
    dispatcher: Dispatcher | None = None
    if role == "web":
        link = TurnsLink(app[keys.hint_socket_key], app[keys.affinity_key])
        waker: SendWaker = link
        intake: TurnIntake = link
    else:
        relay = Relay(
            engine,
            app[keys.writer_key],
            directory,
            senders,
            RateLimiter(SEND_RATES),
            clock,
            metrics=app[keys.metrics_key],
            locks=app[keys.locks_key],
        )
        dispatcher = Dispatcher(app, adapters, senders, clock, relay.wake)
        waker, intake = relay, dispatcher
    desk = app[keys.handoff_key]
    desk.wake_relay = waker.wake
    desk.render = lambda platform, replies: adapters[platform].render(replies)
    newsletter = app[keys.newsletter_key]
    newsletter.render = desk.render
    newsletter.wake_relay = waker.wake
    app[keys.relay_key] = waker
    app[keys.dispatcher_key] = intake
    tasks = []
    hints: asyncio.BaseTransport | None = None
    if relay is not None and dispatcher is not None:
        tasks += [asyncio.create_task(relay.run()), asyncio.create_task(dispatcher.run())]
        if role == "turns":
            hints = await listen(app[keys.hint_socket_key], dispatcher, relay)
    if role != "turns":
        tasks += [
            asyncio.create_task(_retention_loop(app)),
            asyncio.create_task(_handoff_loop(app)),
        ]
        if not app[keys.settings_key].is_sqlite:
            tasks.append(asyncio.create_task(_vacuum_loop(app)))
    yield
    if hints is not None:
        hints.close()
    if link is not None:
        link.close()
    if relay is not None and dispatcher is not None:
        # Intake has stopped (the site is closed): finish running turns, then pending sends.
        started = time.monotonic()
        await dispatcher.stop(SHUTDOWN_GRACE_S)
        turns_s = time.monotonic() - started
        await relay.stop(SHUTDOWN_GRACE_S / 2)
        log.info(
            "shutdown: running turns finished in %.1f s, sends in %.1f s",
            turns_s,
            time.monotonic() - started - turns_s,
        )
    for task in tasks:
        task.cancel()
    for task in tasks:
        with suppress(asyncio.CancelledError):
            await task
    await session.close()
