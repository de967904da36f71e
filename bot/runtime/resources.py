"""The process's resources: the database, the services on it and the features built on them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import suppress

from aiohttp import web

from bot.admin.auth import ensure_first_admin
from bot.content import live as live_answers
from bot.conversation.citizens import CitizenRegistry, RedisSessions
from bot.conversation.recording import MessageRecorder
from bot.conversation.turn import Conversation
from bot.core.privacy import resolve_pseudonym_key
from bot.core.services import Clock, Services
from bot.db.engine import create_engine
from bot.db.migrate import upgrade
from bot.db.permissions import secure_storage
from bot.db.writer import BatchWriter
from bot.engine.topics import TopicMap, topic_names
from bot.features.quiz import bank as quiz_bank
from bot.features.registry import install
from bot.metrics import Metrics
from bot.pipeline.intake import PostgresIntake
from bot.pipeline.locks import make_locks
from bot.settings import Settings
from bot.web import keys

log = logging.getLogger(__name__)

Context = Callable[[web.Application], AsyncIterator[None]]


def database(settings: Settings, clock: Clock, metrics: Metrics, *, prepare: bool) -> Context:
    """Engine, writer, the services and the features. `prepare`: migrate and seed (a gateway
    does it before it starts its turn process)."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        url = settings.database_url
        if prepare:
            # Owner-only files before SQLite creates any; older, looser ones tightened.
            await asyncio.to_thread(secure_storage, url, settings.var_dir)
            # Idempotent and quick when the schema is current; before anything touches a table.
            await asyncio.to_thread(upgrade, url)
        topic_names()  # a topic without its Vietnamese name fails the start, not the dashboard
        engine = create_engine(url, connect_timeout_s=settings.db_connect_timeout_s)
        writer = BatchWriter(url)
        writer.start()
        # Several workers (REDIS_URL set) share the database: each citizen is read fresh.
        citizens = CitizenRegistry(
            engine,
            writer,
            clock,
            cache=not settings.redis_url,
            sessions=RedisSessions(settings.redis_url) if settings.redis_url else None,
        )
        services = Services(
            settings=settings,
            clock=clock,
            engine=engine,
            writer=writer,
            citizens=citizens,
            recorder=MessageRecorder(writer, clock),
            locks=make_locks(settings.redis_url),
            metrics=metrics,
            topics=TopicMap.load(),
            pseudonym_key=resolve_pseudonym_key(settings.pseudonym_key, settings.var_dir),
        )
        features = install(services)
        # The agent of this process answers with the answers edited in this database.
        answers = live_answers.configure(url)
        app[keys.services_key] = services
        app[keys.features_key] = features
        app[keys.conversation_key] = Conversation(services, features.chain)
        app[keys.seen_key] = {}
        intake, warming = None, None
        if prepare and not settings.is_sqlite:
            intake = PostgresIntake(
                url,
                ack_timeout_s=settings.ack_timeout_s,
                connect_timeout_s=settings.db_connect_timeout_s,
            )
            app[keys.intake_key] = intake
            warming = asyncio.create_task(intake.warm(clock()))
        if prepare:
            await _seed(services)
        yield
        if warming is not None:
            warming.cancel()
            with suppress(asyncio.CancelledError):
                await warming
        if intake is not None:
            await intake.close()
        live_answers.release(answers)
        await services.locks.close()
        await citizens.close()
        await writer.stop()
        await engine.dispose()

    return ctx


async def _seed(services: Services) -> None:
    seeded = await quiz_bank.seed(services.writer, services.clock())
    if seeded:
        log.info("quiz bank: %d questions written from content/quiz.yml", seeded)
    password = services.settings.admin_password
    if await ensure_first_admin(services.writer, services.engine, password, services.clock()):
        log.info("first admin account 'admin' created from ADMIN_PASSWORD")
