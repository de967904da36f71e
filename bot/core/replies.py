"""A reply of the assistant, independent of any channel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[dict[str, str], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "buttons": [dict(b) for b in self.buttons]}
