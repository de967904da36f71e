"""Shared fixtures: one loaded Rasa model per test session, apps on temporary databases."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

from bot.engine.runner import AssistantRunner  # noqa: E402
from bot.settings import PROJECT_ROOT, Settings  # noqa: E402

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


def make_settings(tmp_path: Path, **env: str) -> Settings:
    base = {
        "VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'var' / 'test.db'}",
        "PSEUDONYM_KEY": "test-pseudonym-key",
    }
    base.update(env)
    return Settings.from_env(base)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)
