"""The Rasa agent in a child process of the gateway, reached over a Unix socket.

On a thread of the gateway process, CPU-bound turns would hold the GIL and webhook acks would
wait behind them (README, "Measured figures"). In a child process the gateway's event loop only
parses, verifies and commits, so acks stay fast however busy the model is. The child is started
and supervised by the gateway (one command, no second server to run); if it dies it is
restarted, and turns that were in flight stay pending in the inbox and are retried.

Child: `python -m bot agent-worker --socket PATH` serves POST /turn, POST /parse, GET /ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import tempfile
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.db.engine import database_unavailable
from bot.engine.runner import AssistantNotReady, AssistantRunner, TurnResult
from bot.settings import PROJECT_ROOT
from bot.web.serving import serve

log = logging.getLogger(__name__)

START_TIMEOUT_S = 180.0
CALL_TIMEOUT = aiohttp.ClientTimeout(total=60)


class AgentProcess:
    """Same interface as AssistantRunner (ready, load, turn, parse, stop), one process away."""

    def __init__(
        self,
        model_path: Path,
        database_url: str | None,
        *,
        log_level: str = "INFO",
        turns: bool = False,
        hint_socket: Path | None = None,
    ) -> None:
        """`turns`: the child also runs the dispatcher and the relay (bot/pipeline/hints.py), woken
        by hints on `hint_socket` (a fresh path when None)."""
        self.model_path = model_path
        self._database_url = database_url
        self._log_level = log_level
        self._turns = turns
        name = f"khdx-agent-{uuid.uuid4().hex[:12]}"
        self._socket = Path(tempfile.gettempdir()) / f"{name}.sock"
        self.hint_socket = hint_socket or Path(tempfile.gettempdir()) / f"{name}-hints.sock"
        self._proc: asyncio.subprocess.Process | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ready = False
        self._stopping = False
        self._supervisor: asyncio.Task[None] | None = None
        self.load_error: BaseException | None = None
        self.load_seconds: float | None = None
        self.restarts = 0

    @property
    def ready(self) -> bool:
        return self._ready and self._proc is not None and self._proc.returncode is None

    async def load(self) -> None:
        if not self.model_path.exists():
            self.load_error = FileNotFoundError(f"no trained model at {self.model_path}")
            raise self.load_error
        self._session = aiohttp.ClientSession(
            connector=aiohttp.UnixConnector(path=str(self._socket)), timeout=CALL_TIMEOUT
        )
        started = time.perf_counter()
        try:
            await self._spawn()
        except BaseException as exc:
            self.load_error = exc
            raise
        self.load_seconds = time.perf_counter() - started
        log.info("agent process ready in %.1f s", self.load_seconds)
        self._supervisor = asyncio.create_task(self._supervise())

    async def _spawn(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._socket.unlink()
        env = dict(os.environ)
        if self._database_url:
            env["AGENT_DATABASE_URL"] = self._database_url
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "--log-level",
            self._log_level,
            "agent-worker",
            "--socket",
            str(self._socket),
            "--model",
            str(self.model_path),
            *(["--turns", "--hints", str(self.hint_socket)] if self._turns else []),
            cwd=PROJECT_ROOT,
            env=env,
            # Its own session: a Ctrl+C in the terminal reaches the gateway, which stops the
            # agent in order, instead of killing the agent under a running turn.
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._proc.returncode is not None:
                raise RuntimeError(f"agent process exited with {self._proc.returncode}")
            if self._socket.exists():
                try:
                    assert self._session is not None
                    async with self._session.get("http://agent/ready") as resp:
                        if resp.status == 200:
                            self._ready = True
                            return
                except aiohttp.ClientError:
                    pass
            await asyncio.sleep(0.1)
        raise TimeoutError("agent process did not get ready")

    async def _supervise(self) -> None:
        """Restart the child if it dies (the inbox keeps whatever it was doing)."""
        while not self._stopping:
            assert self._proc is not None
            code = await self._proc.wait()
            self._ready = False
            if self._stopping:
                return
            log.error("agent process exited with %s; restarting", code)
            self.restarts += 1
            try:
                await self._spawn()
            except Exception as exc:
                log.error("agent process restart failed: %s", exc)
                await asyncio.sleep(2)

    async def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        if not self.ready or self._session is None:
            raise AssistantNotReady("the agent process is not ready")
        try:
            async with self._session.post(f"http://agent{path}", json=payload) as resp:
                if resp.status == 503:
                    raise AssistantNotReady("the agent process is not ready")
                resp.raise_for_status()
                return dict(await resp.json())
        except aiohttp.ClientConnectionError as exc:
            raise AssistantNotReady("the agent process went away") from exc

    async def turn(
        self, sender_id: str, text: str, *, metadata: dict[str, Any] | None = None
    ) -> TurnResult:
        data = await self._post("/turn", {"sender": sender_id, "text": text})
        return TurnResult(**data)

    async def parse(self, text: str) -> dict[str, Any]:
        return await self._post("/parse", {"text": text})

    async def turn_metrics(self) -> str | None:
        """The turn process's Prometheus figures (None when turns run in the gateway)."""
        if not self._turns or not self.ready or self._session is None:
            return None
        async with self._session.get("http://agent/metrics") as resp:
            resp.raise_for_status()
            return await resp.text()

    async def stop(self) -> None:
        self._stopping = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        if self._proc is not None and self._proc.returncode is None:
            self._proc.terminate()
            try:
                await asyncio.wait_for(self._proc.wait(), 15)
            except asyncio.TimeoutError:
                self._proc.kill()
                await self._proc.wait()
        if self._session is not None:
            await self._session.close()
        for path in (self._socket, self.hint_socket):
            path.unlink(missing_ok=True)
        self._ready = False


# -- the child side ------------------------------------------------------------------------


def worker_app(runner: AssistantRunner) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    add_agent_routes(app, runner)
    return app


def add_agent_routes(app: web.Application, runner: AssistantRunner) -> None:
    async def ready(request: web.Request) -> web.Response:
        return web.json_response({"ready": runner.ready}, status=200 if runner.ready else 503)

    async def turn(request: web.Request) -> web.Response:
        body = await request.json()
        try:
            result = await runner.turn(str(body["sender"]), str(body["text"]))
        except AssistantNotReady:
            return web.json_response({"error": "not ready"}, status=503)
        except Exception as exc:
            if database_unavailable(exc):  # the tracker store is unreachable: try again later
                return web.json_response({"error": "store unavailable"}, status=503)
            raise
        return web.json_response(asdict(result))

    async def parse(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response(await runner.parse(str(body["text"])))

    app.router.add_get("/ready", ready)
    app.router.add_post("/turn", turn)
    app.router.add_post("/parse", parse)


# The gateway's work (acks, health checks) is latency-bound and small; turns are throughput
# work. Running the agent at a lower CPU priority lets the kernel serve the gateway first when
# both want the CPU, so acks stay fast on a saturated machine and turns use what is left.
AGENT_NICENESS = 10
PARENT_CHECK_S = 0.5


async def exit_with_parent(app: web.Application) -> Any:
    """An agent whose gateway died (even by SIGKILL) must not live on holding 600 MB."""
    parent = os.getppid()

    async def watch() -> None:
        while os.getppid() == parent:  # noqa: ASYNC110 (no event tells of a parent's death)
            await asyncio.sleep(PARENT_CHECK_S)
        log.error("the gateway process is gone; the agent process stops")
        os.kill(os.getpid(), signal.SIGTERM)

    task = asyncio.create_task(watch())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def agent_runner(model_path: Path, database_url: str | None, redis_url: str) -> AssistantRunner:
    """The agent of a child process, its trackers in `database_url` (in memory when None)."""
    from bot.engine.stores import sql_tracker_store

    factory = None
    watch = None
    if database_url:
        from bot.content import live as live_answers
        from bot.modelops.watch import ModelWatch

        live_answers.configure(database_url)  # the answers edited in the browser, too
        watch = ModelWatch(database_url)  # and the model an admin put in service

        def factory(domain: Any) -> Any:
            return sql_tracker_store(database_url, domain)

    return AssistantRunner(
        model_path, tracker_store_factory=factory, redis_url=redis_url, model_watch=watch
    )


def serve_worker(
    socket_path: str,
    model_path: Path,
    database_url: str | None,
    redis_url: str,
    *,
    stop_timeout_s: float,
) -> None:
    """The child: Rasa behind /turn, /parse, /ready (a worker's turn process is
    bot/runtime/turn_process.py)."""
    with contextlib.suppress(OSError):
        os.nice(AGENT_NICENESS)
    runner = agent_runner(model_path, database_url, redis_url)

    async def lifecycle(app: web.Application) -> Any:
        if not runner.ready:
            await runner.load()
        yield
        await runner.stop()

    app = worker_app(runner)
    app.cleanup_ctx.append(exit_with_parent)
    app.cleanup_ctx.append(lifecycle)
    # The parent watches for the socket file and /ready; SIGTERM stops the child cleanly.
    serve(app, stop_timeout_s=stop_timeout_s, path=socket_path, handlers_timeout_s=5)
