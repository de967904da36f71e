"""Shared fixtures: one loaded Rasa model per test session, apps on temporary databases."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

from bot.engine.runner import AssistantRunner  # noqa: E402
from bot.pipeline import relay  # noqa: E402
from bot.runtime.app import create_app  # noqa: E402
from bot.settings import PROJECT_ROOT, Settings  # noqa: E402
from tests.fakes.channels import Channels, channel_settings  # noqa: E402
from tests.fakes.loopback import LoopbackJar  # noqa: E402
from tests.fakes.platforms import FakeGraph, FakeZalo  # noqa: E402
from tests.fakes.server import served  # noqa: E402
from tests.fakes.settings import make_settings  # noqa: E402

MODEL_PATH = PROJECT_ROOT / "models" / "assistant.tar.gz"


@pytest.fixture(scope="session")
def model_path() -> Path:
    if not MODEL_PATH.exists():
        pytest.fail(f"no trained model at {MODEL_PATH}: run the tests with `make test`")
    return MODEL_PATH


@pytest.fixture(scope="session")
def runner(model_path: Path) -> Iterator[AssistantRunner]:
    """The real model, loaded once (in-memory tracker store) and shared by every test."""
    runner = AssistantRunner(model_path)
    asyncio.run(runner.load())
    yield runner
    asyncio.run(runner.stop())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


ClientFactory = Callable[[web.Application], Awaitable[TestClient]]


@pytest.fixture
def aiohttp_client(aiohttp_client: Any) -> Any:
    """pytest-aiohttp's client keeping the Secure admin cookies on loopback, as a browser does."""

    async def make(app: Any, **kwargs: Any) -> TestClient:
        kwargs.setdefault("cookie_jar", LoopbackJar())
        return await aiohttp_client(app, **kwargs)

    return make


@pytest.fixture
async def client(
    aiohttp_client: ClientFactory, settings: Settings, runner: AssistantRunner
) -> TestClient:
    """The whole assistant on SQLite with the real model, reached through the web chat."""
    return await served(aiohttp_client, create_app(settings, runner=runner))


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    # Retries keep their exponential shape, on a millisecond scale.
    monkeypatch.setattr(relay, "BASE_BACKOFF_S", 0.01)


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    fake = FakeGraph()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    fake = FakeZalo()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def channels(
    aiohttp_client: ClientFactory,
    tmp_path: Path,
    runner: AssistantRunner,
    graph: FakeGraph,
    zalo: FakeZalo,
) -> Channels:
    """The assistant with both channels on, talking to the fake platforms on loopback."""
    settings = channel_settings(tmp_path, graph, zalo)
    client = await served(aiohttp_client, create_app(settings, runner=runner))
    return Channels(client, settings, graph, zalo)
