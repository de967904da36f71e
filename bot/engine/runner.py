"""The Rasa agent, loaded in-process on a thread and event loop of its own.

A Rasa turn is CPU-bound and blocks its event loop for tens of milliseconds (more on a
5,000-character paste); Rasa's SQL tracker store is synchronous as well. Keeping the agent on its
own loop means the aiohttp loop that acknowledges webhooks and serves /healthz never waits for
a turn. Coroutines cross between the loops with `run_coroutine_threadsafe`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import warnings
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from bot.content import live as live_answers

if TYPE_CHECKING:
    from rasa.core.agent import Agent
    from rasa.core.tracker_store import TrackerStore

    from bot.modelops.watch import ModelWatch

log = logging.getLogger(__name__)
T = TypeVar("T")

# Rasa's default ticket lifetime is 60 s: a worker killed mid-turn would hold its users' next
# turns that long. No turn takes 20 s; the conversation lock (bot/pipeline/locks.py) is 15 s.
TURN_LOCK_LIFETIME_S = 20.0
FALLBACK_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})


@dataclass(frozen=True)
class TurnResult:
    """What one user message produced: the replies and what the NLU understood."""

    replies: list[dict[str, Any]]
    intent: str | None
    confidence: float
    ranking: list[dict[str, Any]] = field(default_factory=list)
    latency_ms: float = 0.0
    fallback: bool = False


def redis_lock_store(url: str) -> Any:
    from urllib.parse import urlparse

    from rasa.core.lock_store import RedisLockStore

    parsed = urlparse(url)
    db = int((parsed.path or "/0").lstrip("/") or 0)
    return RedisLockStore(
        host=parsed.hostname or "localhost",
        port=parsed.port or 6379,
        db=db,
        password=parsed.password,
        key_prefix="khdx",
    )


class AssistantNotReady(RuntimeError):
    """The model is not loaded (yet, or it failed to load)."""


TrackerStoreFactory = Callable[[Any], "TrackerStore"]


class Assistant(Protocol):
    """What the gateway needs of the agent, in-thread (AssistantRunner) or in a child process
    (bot.engine.agent_process.AgentProcess)."""

    load_error: BaseException | None

    @property
    def ready(self) -> bool: ...

    async def load(self) -> None: ...

    async def stop(self) -> None: ...

    async def turn(
        self, sender_id: str, text: str, *, metadata: dict[str, Any] | None = None
    ) -> TurnResult: ...

    async def parse(self, text: str) -> dict[str, Any]: ...


class AssistantRunner:
    """Owns the agent thread. `start()` loads the model there; `turn()` runs one message.

    With a `model_watch`, the model in service is the active one of model_versions (the
    baseline `model_path` when none is): a thread reads it every few seconds and, when it
    changed, loads the new model beside the old one and swaps the reference on the agent loop,
    between turns. A turn holds the agent it started with, so turns in flight finish on the old.
    """

    def __init__(
        self,
        model_path: Path,
        *,
        tracker_store_factory: TrackerStoreFactory | None = None,
        lock_wait_s: float = 0.02,
        redis_url: str = "",
        model_watch: ModelWatch | None = None,
    ) -> None:
        self.model_path = model_path
        self._watch = model_watch
        self._watcher: threading.Thread | None = None
        self._watch_stop = threading.Event()
        # The model file in memory and its version (None: the baseline file).
        self.loaded_path: Path | None = None
        self.generation: int | None = None
        self.swaps = 0
        self._tracker_store_factory = tracker_store_factory
        self._redis_url = redis_url
        self._lock_wait_s = lock_wait_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._agent: Agent | None = None
        self.load_error: BaseException | None = None
        self.load_seconds: float | None = None

    @property
    def ready(self) -> bool:
        return self._agent is not None and self._agent.is_ready()

    @property
    def tracker_store(self) -> Any:
        """The agent's tracker store once loaded (its figures go to /metrics)."""
        return self._agent.tracker_store if self._agent is not None else None

    # -- lifecycle ---------------------------------------------------------------------------

    def start_thread(self) -> None:
        if self._thread is not None:
            return
        loop = asyncio.new_event_loop()
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(started.set)
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="rasa-agent", daemon=True)
        self._thread.start()
        started.wait()

    async def load(self) -> None:
        """Load the model on the agent loop; await from any loop."""
        self.start_thread()
        try:
            await self._call(self._load())
        except BaseException as exc:
            self.load_error = exc
            raise

    async def _load(self) -> None:
        from bot.engine.rasa_env import prepare_rasa_environment

        prepare_rasa_environment()
        from bot.engine.inprocess_actions import skip_schema_check_for_inprocess_actions

        skip_schema_check_for_inprocess_actions()
        from bot.engine.event_types import cache_event_type_lookup

        cache_event_type_lookup()

        generation, path = self._wanted()
        if not path.exists():
            raise FileNotFoundError(f"no trained model at {path}; run `make train`")
        started = time.perf_counter()
        agent = self._make_agent(path, reuse=None)
        self._agent = agent
        self.loaded_path, self.generation = path, generation
        self.load_seconds = time.perf_counter() - started
        log.info("model loaded in %.1f s from %s", self.load_seconds, path.name)
        if self._watch is not None and self._watcher is None:
            self._watch.report(generation)
            self._watcher = threading.Thread(
                target=self._watch_loop, name="model-watch", daemon=True
            )
            self._watcher.start()

    def _make_agent(self, path: Path, *, reuse: Agent | None) -> Agent:
        """Load the model at `path`; with `reuse`, share its tracker and lock stores (the
        conversations and their locks are the same whichever model answers)."""
        from rasa.core.agent import Agent

        from bot.engine.inprocess_actions import InProcessActionEndpoint

        with warnings.catch_warnings():
            # pykwalify (domain validation) uses the deprecated load_module(); not our concern.
            warnings.simplefilter("ignore", DeprecationWarning)
            agent = Agent.load(str(path), action_endpoint=InProcessActionEndpoint())
        if reuse is not None:
            agent.tracker_store = reuse.tracker_store
            agent.lock_store = reuse.lock_store
            if agent.processor is not None:
                agent.processor.tracker_store = reuse.tracker_store
                agent.processor.lock_store = reuse.lock_store
            return agent
        if self._tracker_store_factory is not None:
            # The tracker store needs the domain, known only once the model is loaded.
            store = self._tracker_store_factory(agent.domain)
            agent.tracker_store = store
            if agent.processor is not None:
                agent.processor.tracker_store = store
        if self._redis_url:
            # Several workers: Rasa's own conversation lock lives in Redis too.
            agent.lock_store = redis_lock_store(self._redis_url)
            if agent.processor is not None:
                agent.processor.lock_store = agent.lock_store
        return agent

    def _wanted(self) -> tuple[int | None, Path]:
        """The version to serve and its file: the active one, else the baseline."""
        if self._watch is not None:
            try:
                found = self._watch.active()
            except Exception as exc:
                log.warning("active model not read (%s): the baseline serves", type(exc).__name__)
                found = None
            if found is not None and found[1].exists():
                return found
        return None, self.model_path

    def _watch_loop(self) -> None:
        """Every few seconds: a changed active model is loaded here, off the agent loop, and
        swapped in on it. A model that fails to load leaves the old one in service."""
        assert self._watch is not None
        failed: Path | None = None
        quiet = False
        while not self._watch_stop.wait(self._watch.interval_s):
            try:
                found = self._watch.active()
            except Exception as exc:
                if not quiet:  # once, not every few seconds
                    log.warning("active model not read (%s)", type(exc).__name__)
                quiet = True
                continue
            quiet = False
            generation, path = found if found is not None else (None, self.model_path)
            if path == self.loaded_path:
                if generation != self.generation:  # the same file under a new row (baseline)
                    self.generation = generation
                    self._watch.report(generation)
                continue
            if path == failed:
                continue
            if not path.exists():
                log.error("model %s is active but its file is missing here", generation)
                failed = path
                continue
            started = time.perf_counter()
            try:
                agent = self._make_agent(path, reuse=self._agent)
            except Exception:
                log.exception("model %s could not be loaded; the old one serves", generation)
                failed = path
                continue
            if self._loop is None or self._watch_stop.is_set():
                return
            swap = self._swap(agent, path, generation)
            asyncio.run_coroutine_threadsafe(swap, self._loop).result()
            self._watch.report(generation)
            log.info(
                "model %s in service (loaded in %.1f s beside the old one)",
                generation if generation is not None else "baseline",
                time.perf_counter() - started,
            )

    async def _swap(self, agent: Agent, path: Path, generation: int | None) -> None:
        # On the agent loop, between two turns' steps: the next turn takes the new agent.
        store = agent.tracker_store
        if store is not None:
            store.domain = agent.domain
        self._agent = agent
        self.loaded_path, self.generation = path, generation
        self.swaps += 1

    async def stop(self) -> None:
        self._watch_stop.set()
        if self._watcher is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._watcher.join, 30)
            self._watcher = None
        if self._watch is not None:
            self._watch.close()
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        await asyncio.get_running_loop().run_in_executor(None, thread.join, 10)
        self._loop = self._thread = None

    # -- turns ---------------------------------------------------------------------------------

    async def turn(
        self, sender_id: str, text: str, *, metadata: dict[str, Any] | None = None
    ) -> TurnResult:
        """Handle one user message in the conversation `sender_id`; return replies and NLU."""
        if not self.ready:
            raise AssistantNotReady("the model is not loaded")
        return await self._call(self._turn(sender_id, text, metadata or {}))

    async def parse(self, text: str) -> dict[str, Any]:
        """NLU only: intent, confidence and ranking for `text`."""
        if not self.ready:
            raise AssistantNotReady("the model is not loaded")
        return await self._call(self._parse(text))

    async def _parse(self, text: str) -> dict[str, Any]:
        assert self._agent is not None
        return await self._agent.parse_message(text)

    async def _turn(self, sender_id: str, text: str, metadata: dict[str, Any]) -> TurnResult:
        from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

        agent = self._agent
        assert agent is not None and agent.processor is not None
        started = time.perf_counter()
        # Answers edited in the browser since the last turn are served from this one on.
        live_answers.refresh()
        channel = CollectingOutputChannel()
        message = UserMessage(text, channel, sender_id, metadata=metadata)
        processor = agent.processor
        # Same steps as Agent.handle_message/MessageProcessor.handle_message, kept here so the
        # parsed intent comes back with the replies without reading the tracker again.
        async with agent.lock_store.lock(
            sender_id, lock_lifetime=TURN_LOCK_LIFETIME_S, wait_time_in_seconds=self._lock_wait_s
        ):
            tracker = await processor.log_message(message, should_save_tracker=False)
            tracker = await processor.run_action_extract_slots(channel, tracker)
            await processor._run_prediction_loop(channel, tracker)
            await processor.run_anonymization_pipeline(tracker)
            await processor.save_tracker(tracker)
        parse_data = tracker.latest_message.parse_data if tracker.latest_message else {}
        intent = (parse_data.get("intent") or {}).get("name")
        confidence = float((parse_data.get("intent") or {}).get("confidence") or 0.0)
        return TurnResult(
            replies=list(channel.messages),
            intent=intent,
            confidence=confidence,
            ranking=list(parse_data.get("intent_ranking") or [])[:5],
            latency_ms=(time.perf_counter() - started) * 1000,
            fallback=intent in FALLBACK_INTENTS,
        )

    async def run(self, fn: Callable[[Agent], Awaitable[T]]) -> T:
        """Run `fn(agent)` on the agent loop (for admin tasks such as erasing a tracker)."""
        if self._agent is None:
            raise AssistantNotReady("the model is not loaded")
        agent = self._agent

        async def call() -> T:
            return await fn(agent)

        return await self._call(call())

    async def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            coro.close()
            raise AssistantNotReady("the agent thread is not running")
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return await asyncio.wrap_future(future)
