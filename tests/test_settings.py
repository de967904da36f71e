from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import DEFAULT_FACEBOOK_GRAPH_URL, PROJECT_ROOT, Settings, SettingsError


def test_defaults_serve_on_loopback_with_sqlite_under_var() -> None:
    settings = Settings.from_env({})
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.database_url == f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'assistant.db'}"
    assert settings.is_sqlite
    assert settings.facebook.graph_url == DEFAULT_FACEBOOK_GRAPH_URL
    assert settings.zalo.api_url == "https://openapi.zalo.me"
    assert settings.zalo.oauth_url == "https://oauth.zaloapp.com"


def test_every_documented_setting_is_read() -> None:
    env = {
        "HOST": "0.0.0.0",
        "PORT": "9000",
        "DATABASE_URL": "postgresql+asyncpg://u:p@127.0.0.1:5432/bot",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "PSEUDONYM_KEY": "k",
        "ADMIN_PASSWORD": "pw",
        "FACEBOOK_APP_SECRET": "s",
        "FACEBOOK_VERIFY_TOKEN": "v",
        "FACEBOOK_PAGE_ACCESS_TOKEN": "t",
        "FACEBOOK_GRAPH_URL": "http://127.0.0.1:9999/v21.0/",
        "ZALO_APP_ID": "1",
        "ZALO_APP_SECRET": "zs",
        "ZALO_OA_SECRET_KEY": "zk",
        "ZALO_ACCESS_TOKEN": "za",
        "ZALO_REFRESH_TOKEN": "zr",
        "ZALO_API_URL": "http://127.0.0.1:9998",
        "ZALO_OAUTH_URL": "http://127.0.0.1:9997",
    }
    s = Settings.from_env(env)
    assert (s.host, s.port, s.redis_url) == ("0.0.0.0", 9000, "redis://127.0.0.1:6379/0")
    assert not s.is_sqlite
    assert s.facebook.enabled and s.zalo.enabled
    assert s.facebook.graph_url == "http://127.0.0.1:9999/v21.0"  # trailing slash dropped
    assert (s.zalo.access_token, s.zalo.refresh_token) == ("za", "zr")


def test_channels_are_off_and_name_what_is_missing() -> None:
    s = Settings.from_env({"FACEBOOK_APP_SECRET": "s"})
    assert not s.facebook.enabled
    assert s.facebook.missing == ["FACEBOOK_VERIFY_TOKEN", "FACEBOOK_PAGE_ACCESS_TOKEN"]
    assert not s.zalo.enabled
    assert "ZALO_OA_SECRET_KEY" in s.zalo.missing


def test_secrets_do_not_appear_in_repr() -> None:
    s = Settings.from_env({"FACEBOOK_APP_SECRET": "very-secret-value", "PSEUDONYM_KEY": "pk-123"})
    assert "very-secret-value" not in repr(s)
    assert "pk-123" not in repr(s)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("DATABASE_URL", "mysql://x"),
        ("LOG_LEVEL", "LOUD"),
        ("TURN_TIMEOUT_S", "0"),
    ],
)
def test_bad_values_are_refused_with_the_setting_named(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_relative_var_dir_is_under_the_project() -> None:
    s = Settings.from_env({"VAR_DIR": "var-test"})
    assert s.var_dir == PROJECT_ROOT / "var-test"
    assert Path(s.database_url.split("///", 1)[1]).parent == PROJECT_ROOT / "var-test"
