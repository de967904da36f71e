"""The scam check's answer: the verdict, the reasons found and what to do now; where to report."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml

from actions.content import content
from bot.core.replies import Reply
from bot.features.scam.check import Verdict
from bot.settings import PROJECT_ROOT

TEXTS = PROJECT_ROOT / "content" / "scam_check.yml"
MAX_REASONS = 5


@lru_cache(maxsize=1)
def texts() -> dict[str, Any]:
    raw = yaml.safe_load(TEXTS.read_text(encoding="utf-8"))
    links = content().links

    def render(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: render(v) for k, v in value.items()}
        return str(value).format_map(links)

    return dict(render(raw))


def ask() -> list[Reply]:
    return [Reply(texts()["ask"])]


def answer(verdict: Verdict) -> list[Reply]:
    t = texts()
    source = f"Nguồn: {t['source']}"
    if verdict.phone_only:
        return [Reply(t["phone_only"]), Reply(f"{t['report']}\n{source}")]
    if verdict.notice:
        return [Reply(f"{t['notice']}\n{source}")]
    risk = verdict.risk.value
    lines = [t["verdict"][risk]]
    lines += [f"• {reason}" for reason in verdict.reasons[:MAX_REASONS]]
    buttons = (
        {"title": "Nhận biết lừa đảo", "payload": "/scam_general"},
        {"title": "Kiểm tra tin khác", "payload": "/scam_check"},
    )
    # What to do now goes with the verdict: two messages, not three, for a phone screen and for
    # the platforms' send quotas.
    return [
        Reply("\n".join(lines) + f"\n\n{t['advice'][risk]}"),
        Reply(f"{t['report']}\n{source}", buttons),
    ]
