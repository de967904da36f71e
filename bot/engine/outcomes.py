"""What a citizen gets for each test utterance, through the assistant's whole chain (scam check,
old addresses, the services guide, the second opinion, the dialogue): an answer of the right
topic, an answer of a wrong one, a question back whose buttons hold the right topic (or not),
or the "chưa hiểu" answer. `make nlu-report` prints these beside the classifier's accuracy.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from bot.conversation.turn import Outcome
from bot.conversation.understanding import CLARIFY_INTENT
from bot.engine.evaluation import Example
from bot.engine.runner import AssistantRunner
from bot.engine.topics import OUT_OF_SCOPE, TopicMap
from bot.features.services.card import PAYLOAD as SERVICE_PAYLOAD
from bot.features.services.catalog import load_catalog
from bot.features.services.chat import CHOICE_INTENT
from bot.features.services.chat import topic_of as service_topic
from bot.settings import Settings
from bot.web import keys

RIGHT, WRONG, CLARIFIED, MISLED, FALLBACK = "right", "wrong", "clarified", "misled", "fallback"
KINDS = (RIGHT, WRONG, CLARIFIED, MISLED, FALLBACK)
_FALLBACK_INTENTS = frozenset({"nlu_fallback", None})


@dataclass(frozen=True)
class Judged:
    example: Example
    kind: str
    got: tuple[str, ...]  # the topic answered, or the topics offered


@dataclass
class OutcomeReport:
    judged: list[Judged] = field(default_factory=list)

    def share(self, kinds: Iterable[str], form: str | None = None) -> float:
        chosen = [j for j in self.judged if form is None or j.example.form == form]
        wanted = set(kinds)
        return sum(j.kind in wanted for j in chosen) / len(chosen) if chosen else 0.0

    def accuracy(self, form: str | None = None) -> float:
        """Answered right, or asked back with the right topic among the buttons."""
        return self.share((RIGHT, CLARIFIED), form)

    def count(self, form: str | None = None) -> int:
        return sum(form is None or j.example.form == form for j in self.judged)

    def by_topic(self) -> dict[str, list[int]]:
        found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for j in self.judged:
            found[j.example.topic][0] += j.kind in (RIGHT, CLARIFIED)
            found[j.example.topic][1] += 1
        return found


def judge(
    example: Example, outcome: Outcome, topics: TopicMap, service_topics: dict[str, str]
) -> Judged:
    intent = outcome.result.intent if outcome.result is not None else None
    if intent in (CLARIFY_INTENT, CHOICE_INTENT):
        offered = tuple(
            _button_topic(b.get("payload", ""), topics, service_topics)
            for reply in outcome.replies
            for b in reply.buttons
        )
        kind = CLARIFIED if example.topic in offered else MISLED
        return Judged(example, kind, offered)
    if outcome.topic == OUT_OF_SCOPE and intent in _FALLBACK_INTENTS:
        kind = RIGHT if example.topic == OUT_OF_SCOPE else FALLBACK
        return Judged(example, kind, (OUT_OF_SCOPE,))
    kind = RIGHT if outcome.topic == example.topic else WRONG
    return Judged(example, kind, (outcome.topic,))


def _button_topic(payload: str, topics: TopicMap, service_topics: dict[str, str]) -> str:
    if payload.startswith(SERVICE_PAYLOAD):
        return service_topics.get(payload.removeprefix(SERVICE_PAYLOAD), "public_services")
    return topics.topic_of(payload.removeprefix("/"))


async def outcomes(model: Path, sets: Sequence[Sequence[Example]]) -> list[OutcomeReport]:
    """Each example sent as a new citizen's first message to the whole assistant, on a throwaway
    SQLite database."""
    runner = AssistantRunner(model)
    await runner.load()
    topics = TopicMap.load()
    service_topics = {s.id: service_topic(s) for s in load_catalog().services}
    reports = [OutcomeReport() for _ in sets]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(
            {
                "VAR_DIR": tmp,
                "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/outcomes.db",
                "PSEUDONYM_KEY": "outcomes-report",
                "MODEL_PATH": str(model),
            }
        )
        from bot.runtime.app import create_app  # the whole app: imported only when measured

        app = create_app(settings, runner=runner)
        app_runner = web.AppRunner(app)
        await app_runner.setup()
        try:
            conversation = app[keys.conversation_key]
            for number, (examples, report) in enumerate(zip(sets, reports, strict=False)):
                for i, example in enumerate(examples):
                    outcome = await conversation.handle("web", f"eval-{number}-{i}", example.text)
                    report.judged.append(judge(example, outcome, topics, service_topics))
        finally:
            await app_runner.cleanup()
            await runner.stop()
    return reports
