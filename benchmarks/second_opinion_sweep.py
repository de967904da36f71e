"""The second opinion's thresholds swept on the development sets: the old held-out set, the 2026,
2026b and 2026c sets (each measured once, tuned on since); the frozen test set is never used here.
Prints the best points; given five values (sure, plausible, near, far, floor), also the wrong
answers at that point:

    python -m benchmarks.second_opinion_sweep [0.6 0.4 0.5 0.25 0.25]
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys

from actions.content import content
from bot.engine.evaluation import Example, load_heldout
from bot.engine.runner import AssistantRunner
from bot.engine.topics import OUT_OF_SCOPE, TopicMap
from bot.nlu.retrieval import Neighbour, Retriever
from bot.nlu.second_opinion import Kind, Thresholds, decide, ranking_of
from bot.settings import PROJECT_ROOT

DEV_2026 = PROJECT_ROOT / "tests" / "data" / "nlu_test_2026.tsv"
DEV_2026B = PROJECT_ROOT / "tests" / "data" / "frozen" / "nlu_test_2026b.tsv"
DEV_2026C = PROJECT_ROOT / "tests" / "data" / "frozen" / "nlu_test_2026c.tsv"
# SWEEP_SET=3 sweeps on 2026c alone (0 = all sets).
SET = int(os.environ.get("SWEEP_SET", "0"))
Read = tuple[Example, list[tuple[str, float]], list[Neighbour]]
GRID = (
    (0.6, 0.7, 0.8, 0.9, 0.95),
    (0.2, 0.3, 0.4),
    (0.3, 0.4, 0.5, 0.6),
    (0.15, 0.2, 0.25, 0.3),
    (0.0, 0.15, 0.25),
)


async def read_all() -> list[Read]:
    runner = AssistantRunner(PROJECT_ROOT / "models" / "assistant.tar.gz")
    await runner.load()
    retriever = Retriever.load()
    found = []
    paths = (None, DEV_2026, DEV_2026B, DEV_2026C)
    chosen = [p for i, p in enumerate(paths) if not SET or i == SET]
    for example in [e for p in chosen for e in (load_heldout(p) if p else load_heldout())]:
        parse = await runner.parse(example.text)
        found.append((example, ranking_of(parse), retriever.ranking(example.text)))
    await runner.stop()
    return found


def score(read: list[Read], limits: Thresholds, show: bool = False) -> tuple[float, ...]:
    topics = TopicMap.load()
    offerable = frozenset(k for k in content().answers if content().button(k))
    right = wrong = clarified = misled = fell_back = 0
    for example, ranking, neighbours in read:
        decision = decide(ranking, neighbours, topics, limits, offerable)
        if decision.kind is Kind.CLARIFY:
            offered = {topics.topic_of(c) for c in decision.choices}
            clarified += example.topic in offered
            misled += example.topic not in offered
        elif decision.kind is Kind.FALLBACK:
            right += example.topic == OUT_OF_SCOPE
            fell_back += example.topic != OUT_OF_SCOPE
        elif topics.topic_of(decision.intent) == example.topic:
            right += 1
        else:
            wrong += 1
            if show:
                print(f"  wrong: {example.topic} -> {decision.intent} {decision.confidence:.2f}")
    n = len(read)
    return right / n, wrong / n, clarified / n, misled / n, fell_back / n


def main() -> None:
    read = asyncio.run(read_all())
    alone = score(read, Thresholds(0.0, 0.0, 0.0, 0.0, 0.0))
    print(f"classifier alone: right {alone[0]:.3f} wrong {alone[1]:.3f}")
    points = []
    for limits in itertools.product(*GRID):
        if limits[3] <= limits[2]:
            s = score(read, Thresholds(*limits))
            # A wrong answer costs three right ones; a question back costs half of one.
            points.append((s[0] + s[2] - 3 * s[1] - 0.5 * s[2], limits, s))
    points.sort(reverse=True)
    print("sure plausible near far floor -> right wrong clarified misled fell-back")
    for _, limits, s in points[:8]:
        print(f"{limits} -> " + " ".join(f"{x:.3f}" for x in s))
    if len(sys.argv) == 6:
        print(score(read, Thresholds(*map(float, sys.argv[1:6])), show=True))


if __name__ == "__main__":
    main()
