"""The answers a process serves follow the database: a version saved by any process is served
at that process's next turn, and a turn with nothing new costs one small read (under 1 ms), on
SQLite and on PostgreSQL with several processes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from actions.content import baseline, content
from bot.content import live, versions
from bot.content.entries import baseline as file_entries
from bot.db.migrate import upgrade
from bot.db.writer import BatchWriter
from bot.settings import PROJECT_ROOT
from tests.fakes.postgres import fresh_databases, pg_up

INTENT = "goodbye"
FILE_TEXT = baseline().answers[INTENT].messages[0]
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


async def _save(url: str, text: str, after: int) -> None:
    entry = file_entries()[INTENT]
    writer = BatchWriter(url)  # not started: one plain transaction, as a tool writes
    try:
        await versions.save(
            writer,
            entry.__class__(**{**entry.__dict__, "messages": (text,)}),
            author="admin",
            note="",
            now=NOW,
            after=after,
        )
    finally:
        await writer.stop()


def _turn_cost_ms(answers: live.LiveAnswers, turns: int = 100, batches: int = 5) -> float:
    """The cost of a turn's refresh when nothing changed: the best of a few batches, since the
    test shares the machine with other work."""
    answers.refresh()
    best = float("inf")
    for _ in range(batches):
        started = time.perf_counter()
        for _ in range(turns):
            answers.refresh()
        best = min(best, (time.perf_counter() - started) * 1000 / turns)
    print(f"refresh with nothing new: {best:.3f} ms a turn ({answers.database_url.split(':')[0]})")
    return best


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    upgrade(url)
    return url


async def test_sqlite_a_saved_version_is_served_at_the_next_turn(sqlite_url: str) -> None:
    answers = live.configure(sqlite_url)
    try:
        live.refresh()
        assert content().answers[INTENT].messages == (FILE_TEXT,)
        await _save(sqlite_url, "Tạm biệt bạn, hẹn gặp lại!", after=0)
        live.refresh()
        assert content().answers[INTENT].messages == ("Tạm biệt bạn, hẹn gặp lại!",)
        assert content().answers["greet"] == baseline().answers["greet"]  # others untouched
        reloads = answers.reloads
        cost = _turn_cost_ms(answers)
        assert answers.reloads == reloads  # nothing new: nothing rebuilt
        assert cost < 1.0, f"{cost:.3f} ms a turn"
    finally:
        live.release(answers)
    assert content().answers[INTENT].messages == (FILE_TEXT,)  # the files alone again


async def test_an_unreachable_database_keeps_the_last_answers(sqlite_url: str) -> None:
    answers = live.configure(sqlite_url)
    try:
        await _save(sqlite_url, "Chào tạm biệt!", after=0)
        live.refresh()
        Path(sqlite_url.split("///", 1)[1]).unlink()  # the file gone: every read fails
        live.refresh()
        assert content().answers[INTENT].messages == ("Chào tạm biệt!",)
    finally:
        live.release(answers)


async def test_a_version_that_cannot_be_rendered_leaves_the_file_answer(sqlite_url: str) -> None:
    answers = live.configure(sqlite_url)
    try:
        await _save(sqlite_url, "Gọi {so_da_bo_khoi_links} nhé.", after=0)  # a link since removed
        live.refresh()
        assert content().answers[INTENT].messages == (FILE_TEXT,)
        await _save(sqlite_url, "Hẹn gặp lại!", after=1)
        live.refresh()
        assert content().answers[INTENT].messages == ("Hẹn gặp lại!",)
    finally:
        live.release(answers)


# A worker stand-in: its own process, its own LiveAnswers; prints the answer after each turn's
# refresh, one line per line read.
_WORKER = """
import sys
from actions.content import content
from bot.content import live
live.configure(sys.argv[1])
for _ in sys.stdin:
    live.refresh()
    print(content().answers[sys.argv[2]].messages[0], flush=True)
"""


@pytest.mark.skipif(not pg_up(), reason="needs PostgreSQL on 127.0.0.1:5432")
def test_postgresql_another_process_serves_the_edit_at_its_next_turn() -> None:
    with fresh_databases("khdx_answers") as make:
        url = make().replace("+psycopg2", "+asyncpg")
        upgrade(url)
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", _WORKER, url, INTENT],
                cwd=PROJECT_ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]

        def turn(worker: subprocess.Popen[str]) -> str:
            assert worker.stdin is not None and worker.stdout is not None
            worker.stdin.write("\n")
            worker.stdin.flush()
            return worker.stdout.readline().strip()

        try:
            assert [turn(w) for w in workers] == [FILE_TEXT, FILE_TEXT]
            asyncio.run(_save(url, "Hẹn gặp lại bạn!", after=0))
            assert [turn(w) for w in workers] == ["Hẹn gặp lại bạn!"] * 2
            asyncio.run(_save(url, FILE_TEXT, after=1))  # a rollback is a version like any other
            assert [turn(w) for w in workers] == [FILE_TEXT, FILE_TEXT]
            answers = live.configure(url)
            try:
                cost = _turn_cost_ms(answers)
            finally:
                live.release(answers)
            assert cost < 1.0, f"{cost:.3f} ms a turn"
        finally:
            for worker in workers:
                assert worker.stdin is not None
                worker.stdin.close()
                try:
                    worker.wait(30)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
