"""Typed application keys: what the HTTP edge (routes, webhooks, admin) reads from the app.

Handlers, desks and loops get the `Services` container instead (bot/core/services.py). The
types are imported for the type checker only, so any module may import this one.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from datetime import datetime

    import aiohttp

    from bot.channels.base import ChannelAdapter
    from bot.channels.recipients import RecipientDirectory
    from bot.channels.send import Sender
    from bot.channels.zalo.tokens import ZaloTokenManager
    from bot.conversation.turn import Conversation
    from bot.core.services import Services
    from bot.features.registry import Installed
    from bot.pipeline.hints import Affinity, SendWaker, TurnIntake
    from bot.pipeline.intake import PostgresIntake
    from bot.settings import Settings

settings_key: web.AppKey[Settings] = web.AppKey("settings")
services_key: web.AppKey[Services] = web.AppKey("services")
features_key: web.AppKey[Installed] = web.AppKey("features")
conversation_key: web.AppKey[Conversation] = web.AppKey("conversation")
# PostgreSQL only: webhook intake in one round trip (bot/pipeline/intake.py).
intake_key: web.AppKey[PostgresIntake] = web.AppKey("intake")
# user_ref -> when this process last wrote the user's recipient row (see bot.pipeline.inbox).
seen_key: web.AppKey[dict[str, datetime]] = web.AppKey("seen")
load_task_key: web.AppKey[asyncio.Task[None]] = web.AppKey("load_task")
adapters_key: web.AppKey[dict[str, ChannelAdapter]] = web.AppKey("adapters")
senders_key: web.AppKey[dict[str, Sender]] = web.AppKey("senders")
http_key: web.AppKey[aiohttp.ClientSession] = web.AppKey("http")
# This process's dispatcher and relay, or (gateway with a turn process) the link to them.
dispatcher_key: web.AppKey[TurnIntake] = web.AppKey("dispatcher")
relay_key: web.AppKey[SendWaker] = web.AppKey("relay")
# Where the turn process listens for hints from its gateway (bot/pipeline/hints.py).
hint_socket_key: web.AppKey[Path] = web.AppKey("hint_socket")
affinity_key: web.AppKey[Affinity] = web.AppKey("affinity")
directory_key: web.AppKey[RecipientDirectory] = web.AppKey("directory")
zalo_tokens_key: web.AppKey[ZaloTokenManager] = web.AppKey("zalo_tokens")
