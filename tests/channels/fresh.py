"""Zalo events stamped now: Zalo signs the event's own timestamp, and the gateway refuses a
signed event outside its replay window."""

from __future__ import annotations

import time
from typing import Any


def now_ms(offset_s: float = 0.0) -> str:
    return str(int((time.time() + offset_s) * 1000))


def fresh(body: dict[str, Any], offset_s: float = 0.0) -> dict[str, Any]:
    """`body` with its timestamp set to now (plus `offset_s`)."""
    return {**body, "timestamp": now_ms(offset_s)}
