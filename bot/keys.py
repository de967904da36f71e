"""Typed application keys: every shared object the app holds, in one place.

The types are imported for the type checker only, so any module may import this one without
creating an import cycle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    import aiohttp
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.channels.base import ChannelAdapter
    from bot.channels.senders import Sender
    from bot.channels.zalo_tokens import ZaloTokenManager
    from bot.citizens import CitizenRegistry
    from bot.contest import ContestDesk
    from bot.coordination import Locks
    from bot.db.intake import PostgresIntake
    from bot.db.writer import BatchWriter
    from bot.engine.runner import Assistant
    from bot.engine.topics import TopicMap
    from bot.events import EventsDesk
    from bot.guidance import GuidanceLog
    from bot.handoff import HandoffDesk
    from bot.metrics import Metrics
    from bot.newsletter import NewsletterDesk
    from bot.quiz.play import QuizDesk
    from bot.recipients import RecipientDirectory
    from bot.recording import MessageRecorder
    from bot.settings import Settings
    from bot.turn_link import Affinity, SendWaker, TurnIntake

settings_key: web.AppKey[Settings] = web.AppKey("settings")
clock_key: web.AppKey[Callable[[], datetime]] = web.AppKey("clock")
db_key: web.AppKey[AsyncEngine] = web.AppKey("db")
writer_key: web.AppKey[BatchWriter] = web.AppKey("writer")
# PostgreSQL only: webhook intake in one round trip (bot/db/intake.py).
intake_key: web.AppKey[PostgresIntake] = web.AppKey("intake")
# user_ref -> when this process last wrote the user's recipient row (see bot.inbox).
seen_key: web.AppKey[dict[str, datetime]] = web.AppKey("seen")
runner_key: web.AppKey[Assistant] = web.AppKey("runner")
topics_key: web.AppKey[TopicMap] = web.AppKey("topics")
recorder_key: web.AppKey[MessageRecorder] = web.AppKey("recorder")
citizens_key: web.AppKey[CitizenRegistry] = web.AppKey("citizens")
locks_key: web.AppKey[Locks] = web.AppKey("locks")
handoff_key: web.AppKey[HandoffDesk] = web.AppKey("handoff")
quiz_key: web.AppKey[QuizDesk] = web.AppKey("quiz")
newsletter_key: web.AppKey[NewsletterDesk] = web.AppKey("newsletter")
events_key: web.AppKey[EventsDesk] = web.AppKey("events")
contest_key: web.AppKey[ContestDesk] = web.AppKey("contest")
guidance_key: web.AppKey[GuidanceLog] = web.AppKey("guidance")
pseudonym_key_key: web.AppKey[bytes] = web.AppKey("pseudonym_key")
load_task_key: web.AppKey[asyncio.Task[None]] = web.AppKey("load_task")
adapters_key: web.AppKey[dict[str, ChannelAdapter]] = web.AppKey("adapters")
senders_key: web.AppKey[dict[str, Sender]] = web.AppKey("senders")
http_key: web.AppKey[aiohttp.ClientSession] = web.AppKey("http")
# This process's dispatcher and relay, or (gateway with a turn process) the link to them.
dispatcher_key: web.AppKey[TurnIntake] = web.AppKey("dispatcher")
relay_key: web.AppKey[SendWaker] = web.AppKey("relay")
# Where the turn process listens for hints from its gateway (bot/turn_link.py).
hint_socket_key: web.AppKey[Path] = web.AppKey("hint_socket")
affinity_key: web.AppKey[Affinity] = web.AppKey("affinity")
metrics_key: web.AppKey[Metrics] = web.AppKey("metrics")
directory_key: web.AppKey[RecipientDirectory] = web.AppKey("directory")
zalo_tokens_key: web.AppKey[ZaloTokenManager] = web.AppKey("zalo_tokens")
