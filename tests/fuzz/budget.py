"""How long the fuzz run is: about a minute of cases on two cores by default (`FUZZ_SCALE=10`
runs ten times as many, and lets hypothesis explore new ones instead of replaying the same)."""

from __future__ import annotations

import os

SCALE = float(os.environ.get("FUZZ_SCALE", "1"))


def cases(default: int) -> int:
    """The number of cases (hypothesis max_examples, requests) for a default of `default`."""
    return max(1, int(default * SCALE))
