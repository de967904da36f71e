"""The Zalo replay window: configurable, bounded on both sides; Messenger has none (its
signature covers no time, and it retries the same body for hours)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.base import InboundEvent, Kind
from bot.channels.facebook.adapter import FacebookAdapter
from bot.channels.zalo.adapter import DEFAULT_REPLAY_WINDOW_S, FUTURE_SKEW_S, ZaloAdapter
from bot.settings import SettingsError
from tests.fakes.settings import make_settings

NOW_MS = 1_800_000_000_000


def event(platform: str, timestamp_ms: int) -> InboundEvent:
    return InboundEvent(platform, Kind.TEXT, "m", "oa", "u", timestamp_ms=timestamp_ms, text="hi")


@pytest.mark.parametrize(
    ("age_s", "outside"),
    [(0, False), (59, False), (61, True), (-FUTURE_SKEW_S + 1, False), (-FUTURE_SKEW_S - 1, True)],
)
def test_zalo_window_is_the_configured_one(age_s: float, outside: bool) -> None:
    adapter = ZaloAdapter("1", "s", replay_window_s=60)
    assert adapter.outside_window(event("zalo", NOW_MS - int(age_s * 1000)), NOW_MS) is outside


def test_zalo_event_without_a_timestamp_is_outside_any_window() -> None:
    assert ZaloAdapter("1", "s").outside_window(event("zalo", 0), NOW_MS)


def test_facebook_retries_are_never_outside_a_window() -> None:
    assert not FacebookAdapter("s").outside_window(event("facebook", 0), NOW_MS)


def test_replay_window_setting(tmp_path: Path) -> None:
    assert make_settings(tmp_path).zalo.replay_window_s == DEFAULT_REPLAY_WINDOW_S
    assert make_settings(tmp_path, ZALO_REPLAY_WINDOW_S="3600").zalo.replay_window_s == 3600
    with pytest.raises(SettingsError):
        make_settings(tmp_path, ZALO_REPLAY_WINDOW_S="5")
