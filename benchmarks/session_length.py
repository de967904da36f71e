"""Cost of a turn as a session grows: one conversation of many messages through the real model
and the tracker store the workers use (SQLite here), with the session handed to Rasa whole and
shortened to its last turns (bot/engine/cached_store.py, `compact`).

    python -m benchmarks.session_length [--turns 150] [--block 25]

Prints the median and p90 turn time per block of turns for both, and how many turns gave the
same intent and replies in both (random response variants seeded alike before each turn).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bot.engine.cached_store import MAX_TURN_EVENTS
from bot.engine.evaluation import load_heldout
from bot.engine.runner import AssistantRunner, TurnResult
from bot.engine.stores import sql_tracker_store
from bot.logging_setup import configure_logging
from bot.settings import PROJECT_ROOT

MODEL = PROJECT_ROOT / "models" / "assistant.tar.gz"
WHOLE = 10**9  # never shortened: Rasa's own behaviour


async def conversation(
    turn_events: int, texts: list[str], database: Path
) -> list[tuple[float, TurnResult]]:
    def factory(domain: Any) -> Any:
        return sql_tracker_store(f"sqlite:///{database}", domain, turn_events=turn_events)

    runner = AssistantRunner(MODEL, tracker_store_factory=factory)
    await runner.load()
    out = []
    try:
        for index, text in enumerate(texts):
            random.seed(index)
            np.random.seed(index)
            started = time.perf_counter()
            result = await runner.turn("benchmark-user", text)
            out.append(((time.perf_counter() - started) * 1000, result))
    finally:
        await runner.stop()
    return out


def same(a: TurnResult, b: TurnResult) -> bool:
    return a.intent == b.intent and a.replies == b.replies


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=150)
    parser.add_argument("--block", type=int, default=25)
    args = parser.parse_args()
    configure_logging("WARNING")
    examples = load_heldout()
    texts = [examples[i % len(examples)].text for i in range(args.turns)]
    with tempfile.TemporaryDirectory() as tmp:
        whole = await conversation(WHOLE, texts, Path(tmp) / "whole.db")
        short = await conversation(MAX_TURN_EVENTS, texts, Path(tmp) / "short.db")
    print(f"\nOne conversation of {args.turns} messages, turn time in ms (median / p90)\n")
    print(f"{'turns':>12}{'whole session':>20}{'last turns':>20}")
    for start in range(0, args.turns, args.block):
        cells = []
        for runs in (whole, short):
            times = [t for t, _ in runs[start : start + args.block]]
            p90 = statistics.quantiles(times, n=10)[-1] if len(times) > 1 else times[0]
            cells.append(f"{statistics.median(times):7.1f} / {p90:6.1f}")
        print(f"{f'{start + 1}-{start + len(times)}':>12}{cells[0]:>20}{cells[1]:>20}")
    agree = sum(same(a, b) for (_, a), (_, b) in zip(whole, short, strict=True))
    print(f"\nsame intent and replies: {agree}/{args.turns}")


if __name__ == "__main__":
    asyncio.run(main())
