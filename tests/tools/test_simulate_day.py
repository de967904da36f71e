"""The simulated day (tools/simulate_day.py), small: a real server process on the real model,
signed webhooks from both channels, fake platforms; dashboard = JSON = workbook = what was sent,
and no raw id or personal number in any page, export, log or table."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tools import simulate_day


async def test_a_simulated_day_agrees_everywhere_and_leaks_nothing(
    tmp_path: Path, model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = argparse.Namespace(
        users=30, seed=11, concurrency=30, keep=str(tmp_path / "sim"), database_url=None
    )
    code = await simulate_day.run(args)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "all checks passed" in out
    assert "FAIL" not in out
