"""Process logging: one line per event on stderr, no message text or secrets by design."""

from __future__ import annotations

import logging
import sys


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    # Our own loggers carry the level themselves: Rasa resets the root level while loading.
    for name in ("bot", "actions", "benchmarks"):
        logging.getLogger(name).setLevel(level)
    if getattr(root, "_khdx_configured", False):
        root.setLevel(level)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiohttp's access log would print every request line; keep it at warnings.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    root._khdx_configured = True  # type: ignore[attr-defined]
