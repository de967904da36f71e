"""A long conversation answers as a fresh one would: the session reaches Rasa shortened to its
last turns (bot/engine/cached_store.py), which must not change a single prediction."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.engine.evaluation import load_heldout
from bot.engine.runner import AssistantRunner
from bot.engine.stores import sql_tracker_store


@pytest.fixture
async def shortening(model_path: Path, tmp_path: Path) -> AsyncIterator[AssistantRunner]:
    """The real model with the workers' tracker store, cutting sessions very short."""

    def factory(domain: Any) -> Any:
        return sql_tracker_store(f"sqlite:///{tmp_path / 'events.db'}", domain, turn_events=12)

    runner = AssistantRunner(model_path, tracker_store_factory=factory)
    await runner.load()
    yield runner
    await runner.stop()


async def test_forty_messages_get_the_answers_of_the_whole_session(
    shortening: AssistantRunner, runner: AssistantRunner
) -> None:
    examples = load_heldout()
    # Questions of every kind, a greeting, ratings and a handoff request among them.
    texts = [examples[(i * 37) % len(examples)].text for i in range(36)]
    texts[5:5] = ["xin chào", "cảm ơn, hữu ích lắm", "cho mình gặp người hỗ trợ", "ok"]
    for index, text in enumerate(texts):
        results = []
        for assistant, sender in ((runner, "whole-session"), (shortening, "short-session")):
            random.seed(index)  # the same response variant in both
            np.random.seed(index)
            results.append(await assistant.turn(sender, text))
        whole, short = (
            (r.intent, [{k: v for k, v in m.items() if k != "recipient_id"} for m in r.replies])
            for r in results
        )
        assert short == whole, (index, text)
        assert short[1]  # never silence
    store = shortening.tracker_store
    tracker = await shortening.run(lambda agent: agent.tracker_store.retrieve("short-session"))
    assert len(tracker.events) <= 3 + 12 and store.hits >= 30
