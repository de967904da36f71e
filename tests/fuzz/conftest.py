"""The fuzz run uses the running app with both channels (tests/channels/conftest.py)."""

from tests.channels.conftest import channels, fast_backoff, graph, zalo  # noqa: F401
