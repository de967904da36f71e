"""The app under test served as production serves it (bot.web.encoding.SERVER_OPTIONS)."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pytest_aiohttp.plugin import AiohttpClient

from bot.web.encoding import SERVER_OPTIONS


async def served(aiohttp_client: AiohttpClient, app: web.Application) -> TestClient:
    server = TestServer(app)
    # The test client starts its server without options: start it first, with ours.
    await server.start_server(**SERVER_OPTIONS)
    return await aiohttp_client(server)
