"""The content check run by `make test` (tests/actions/test_content_check.py): every rule on every
answer and quiz question.

Rules: "dated" (bot/content/dating.py), "stale-target" (targets.py), "place-name" (places.py),
"commune-count" (counts.py). Rules on the text apply to every entry, `factual: false` or not;
a quiz question is read with its right option and its explanation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.content import counts, dating, places, targets
from bot.content.facts import CONTENT_DIR, Fact, load_facts
from bot.core import communes as communes_csv
from bot.core.communes import Commune


@dataclass(frozen=True)
class Problem:
    where: str  # "answers.yml gov_reorganisation"
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.where} [{self.rule}]: {self.message}"


def _communes(directory: Path) -> tuple[Commune, ...]:
    # A planted content folder may bring its own list; else the project's.
    path = directory / "communes.csv"
    return communes_csv.load(path if path.exists() else communes_csv.COMMUNES_CSV)


def check_fact(fact: Fact, today: date, units: tuple[Commune, ...]) -> list[Problem]:
    found = [Problem(fact.label, dating.RULE, m) for m in dating.problems(fact, today)]
    as_of = fact.as_of_day
    as_of_year = as_of.year if as_of is not None else today.year
    for text in fact.texts:
        for message in targets.problems(text, today.year, as_of_year):
            found.append(Problem(fact.label, targets.RULE, message))
        for message in places.problems(text, units):
            found.append(Problem(fact.label, places.RULE, message))
        for message in counts.problems(text, units):
            found.append(Problem(fact.label, counts.RULE, message))
    return found


def check(directory: Path = CONTENT_DIR, *, today: date) -> list[Problem]:
    """Every problem of the content in `directory`, on `today` (a day in Vietnam time)."""
    units = _communes(directory)
    return [p for fact in load_facts(directory) for p in check_fact(fact, today, units)]
