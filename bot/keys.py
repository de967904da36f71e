"""Typed application keys: every shared object the app holds, in one place."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.engine.runner import AssistantRunner
from bot.engine.topics import TopicMap
from bot.recording import TurnRecorder
from bot.settings import Settings

settings_key = web.AppKey("settings", Settings)
clock_key: web.AppKey[Callable[[], datetime]] = web.AppKey("clock")
db_key: web.AppKey[AsyncEngine] = web.AppKey("db")
runner_key = web.AppKey("runner", AssistantRunner)
topics_key = web.AppKey("topics", TopicMap)
recorder_key = web.AppKey("recorder", TurnRecorder)
pseudonym_key_key = web.AppKey("pseudonym_key", bytes)
load_task_key = web.AppKey("load_task", asyncio.Task[None])
