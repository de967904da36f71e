"""The training inputs of a retrain, written to a temporary directory: the project's domain and
data as they are, plus a reviewed file built from reviewed_examples. Intents new to the domain
(`reviewed_*`, answers created from the review queue) get a domain fragment and a rule that sends
them to action_answer, as the FAQ intents' rules do. The repository's files are never edited."""

from __future__ import annotations

import re
import shutil
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.engine import Connection

from bot.db.models import reviewed_examples
from bot.settings import PROJECT_ROOT

ANSWER_ACTION = "action_answer"
# Rasa reads [text](entity) as an annotated entity: brackets in a citizen's words are not one.
_BRACKETS = re.compile(r"[\[\]{}]")


@dataclass(frozen=True)
class Inputs:
    domain: Path  # a directory: domain.yml and the reviewed fragment, merged by Rasa
    data: list[Path]
    examples: int
    new_intents: tuple[str, ...]


def read_reviewed(conn: Connection) -> list[tuple[str, str]]:
    rows = conn.execute(
        select(reviewed_examples.c.text, reviewed_examples.c.intent).order_by(
            reviewed_examples.c.id
        )
    )
    return [(str(text), str(intent)) for text, intent in rows]


def domain_intents(domain_file: Path) -> set[str]:
    data = yaml.safe_load(domain_file.read_text(encoding="utf-8")) or {}
    names: set[str] = set()
    for item in data.get("intents") or []:
        names.update(item if isinstance(item, dict) else [item])
    return {str(n) for n in names}


def _clean(text: str) -> str:
    return " ".join(_BRACKETS.sub(" ", text).split())


def write_inputs(
    target: Path, examples: Iterable[tuple[str, str]], root: Path = PROJECT_ROOT
) -> Inputs:
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in examples:
        cleaned = _clean(text)
        if cleaned and cleaned not in by_intent[intent]:
            by_intent[intent].append(cleaned)
    known = domain_intents(root / "domain.yml")
    new = tuple(sorted(i for i in by_intent if i not in known))
    domain_dir = target / "domain"
    domain_dir.mkdir(parents=True)
    shutil.copy(root / "domain.yml", domain_dir / "domain.yml")
    data: list[Path] = [root / "nlu_data"]
    if new:
        fragment = {"version": "3.1", "intents": list(new)}
        (domain_dir / "reviewed.yml").write_text(
            yaml.safe_dump(fragment, allow_unicode=True), encoding="utf-8"
        )
    if by_intent:
        reviewed: dict[str, object] = {
            "version": "3.1",
            "nlu": [
                {"intent": intent, "examples": "".join(f"- {t}\n" for t in texts)}
                for intent, texts in sorted(by_intent.items())
            ],
        }
        if new:
            reviewed["rules"] = [
                {
                    "rule": f"answer {intent}",
                    "steps": [{"intent": intent}, {"action": ANSWER_ACTION}],
                }
                for intent in new
            ]
        path = target / "data" / "reviewed.yml"
        path.parent.mkdir(parents=True)
        path.write_text(
            yaml.safe_dump(reviewed, allow_unicode=True, sort_keys=False, width=1000),
            encoding="utf-8",
        )
        data.append(path)
    return Inputs(
        domain=domain_dir,
        data=data,
        examples=sum(len(t) for t in by_intent.values()),
        new_intents=new,
    )
