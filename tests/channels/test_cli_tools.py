"""The channel tools of the command line: simulate, facebook setup-profile, zalo set-tokens."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

from aiohttp.test_utils import TestServer

from bot.engine.runner import AssistantRunner
from bot.runtime.app import create_app
from bot.settings import PROJECT_ROOT
from tests.fakes.channels import APP_SECRET, PAGE_TOKEN, channel_settings
from tests.fakes.platforms import FakeGraph, FakeZalo


async def run_cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_simulate_sends_a_signed_message_that_gets_answered(
    tmp_path: Path, runner: AssistantRunner, graph: FakeGraph, zalo: FakeZalo
) -> None:
    settings = channel_settings(tmp_path, graph, zalo)
    server = TestServer(create_app(settings, runner=runner), host="127.0.0.1")
    await server.start_server()
    try:
        env = {"FACEBOOK_APP_SECRET": APP_SECRET, "VAR_DIR": str(tmp_path / "cli")}
        code, out, err = await run_cli(
            "simulate",
            "facebook",
            "chuyen doi so la gi",
            "--url",
            str(server.make_url("")).rstrip("/"),
            env=env,
        )
        assert code == 0, err
        assert out.startswith("200 in ")
        sent = await graph.wait_messages(1)
        assert sent[0].body["message"]["text"].startswith("Chuyển đổi số là")
        # A wrong secret is refused by the server.
        env["FACEBOOK_APP_SECRET"] = "not-the-secret"
        code, out, _ = await run_cli(
            "simulate",
            "facebook",
            "xin chao",
            "--url",
            str(server.make_url("")).rstrip("/"),
            env=env,
        )
        assert code == 1
        assert out.startswith("403")
    finally:
        await server.close()


async def test_setup_profile_posts_get_started_greeting_and_menu(
    tmp_path: Path, graph: FakeGraph
) -> None:
    env = {
        "FACEBOOK_PAGE_ACCESS_TOKEN": PAGE_TOKEN,
        "FACEBOOK_GRAPH_URL": graph.graph_url,
        "VAR_DIR": str(tmp_path / "cli"),
    }
    code, out, err = await run_cli("facebook", "setup-profile", env=env)
    assert code == 0, err
    request = graph.sent(graph.PROFILE)[0]
    assert request.query["access_token"] == PAGE_TOKEN
    assert request.body["get_started"] == {"payload": "GET_STARTED"}
    assert "Khánh Hòa" in request.body["greeting"][0]["text"]
    menu = request.body["persistent_menu"][0]["call_to_actions"]
    assert {m["payload"] for m in menu} >= {"/vneid_level2", "/handoff_request"}
    assert all(len(m["title"]) <= 30 for m in menu)
    assert PAGE_TOKEN not in out


async def test_zalo_set_tokens_stores_the_pasted_pair(tmp_path: Path) -> None:
    env = {"ZALO_APP_ID": "42", "ZALO_APP_SECRET": "s", "VAR_DIR": str(tmp_path / "var")}
    code, out, err = await run_cli(
        "zalo",
        "set-tokens",
        "--access-token",
        "AT-pasted",
        "--refresh-token",
        "RT-pasted",
        env=env,
    )
    assert code == 0, err
    with sqlite3.connect(tmp_path / "var" / "assistant.db") as conn:
        rows = conn.execute(
            "SELECT oa_id, access_token, refresh_token FROM zalo_tokens"
        ).fetchall()
    assert rows == [("42", "AT-pasted", "RT-pasted")]
    assert "AT-pasted" not in out
