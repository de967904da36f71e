"""Settings of a test app: its own temporary database and var folder."""

from __future__ import annotations

from pathlib import Path

from bot.settings import Settings


def make_settings(tmp_path: Path, **env: str) -> Settings:
    base = {
        "VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'var' / 'test.db'}",
        "PSEUDONYM_KEY": "test-pseudonym-key",
    }
    base.update(env)
    return Settings.from_env(base)
