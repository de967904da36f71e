"""Topic accuracy on the held-out set, with the trained project model (CI gate: 0.90)."""

from __future__ import annotations

from collections import Counter

import yaml

from bot.engine.evaluation import FORMS, evaluate, load_heldout
from bot.engine.runner import AssistantRunner
from bot.engine.topics import TOPIC_NAMES
from bot.nlu.text import fold
from bot.settings import PROJECT_ROOT

MIN_ACCURACY = 0.90


def training_examples() -> set[str]:
    out: set[str] = set()
    for path in (PROJECT_ROOT / "nlu_data").glob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for block in data.get("nlu") or []:
            for line in block["examples"].splitlines():
                if line.strip().startswith("- "):
                    out.add(fold(line.strip()[2:].strip()))
    return out


def test_heldout_set_is_separate_balanced_and_covers_every_topic() -> None:
    examples = load_heldout()
    assert len(examples) >= 200
    forms = Counter(e.form for e in examples)
    assert set(forms) <= set(FORMS)
    assert forms["unaccented"] / len(examples) >= 0.35
    assert forms["teencode"] / len(examples) >= 0.10
    assert {e.topic for e in examples} == set(TOPIC_NAMES)
    overlap = [e.text for e in examples if fold(e.text) in training_examples()]
    assert overlap == [], f"held-out lines also in the training data: {overlap}"


async def test_topic_accuracy_on_heldout_set(runner: AssistantRunner) -> None:
    report = await evaluate(runner.parse, load_heldout())
    summary = ", ".join(f"{f} {report.form_accuracy(f):.3f}" for f in FORMS)
    print(f"held-out topic accuracy {report.accuracy:.3f} ({summary})")
    assert report.accuracy >= MIN_ACCURACY, report.confusions.most_common(10)
    # Out-of-scope questions must fall back, not get a confident wrong answer.
    assert report.oos_fell_back / report.oos_total >= 0.8


async def test_keyboard_leftovers_reach_the_right_topic(runner: AssistantRunner) -> None:
    from bot.engine.evaluation import topic_of_parse
    from bot.engine.topics import TopicMap

    topics = TopicMap.load()
    cases = {
        "chuyeenr ddooir soos laf gif": "dx_basics",  # Telex left on
        "ddawng kys vneid mwcs 2 owr ddaau": "vneid",
        "chuye6n d9o6i so61 la2 gi2": "dx_basics",  # VNI digits
    }
    for text, topic in cases.items():
        predicted, intent, _ = topic_of_parse(await runner.parse(text), topics)
        assert predicted == topic, (text, intent)
