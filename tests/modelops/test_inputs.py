"""The training inputs of a retrain: the project's files untouched, the reviewed examples in a
file of their own, a new `reviewed_*` intent added to a domain fragment and sent to
action_answer by a rule, as the FAQ intents are."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.modelops.inputs import domain_intents, write_inputs
from bot.settings import PROJECT_ROOT


def test_reviewed_examples_join_the_data_and_new_intents_the_domain(tmp_path: Path) -> None:
    before = (PROJECT_ROOT / "domain.yml").read_bytes()
    examples = [
        ("xe buýt điện Nha Trang", "sector_transport"),
        ("xe buýt điện Nha Trang", "sector_transport"),  # once is enough
        ("wifi [miễn phí] ở bãi biển", "reviewed_wifi_bien"),
        ("bãi biển có wifi không", "reviewed_wifi_bien"),
    ]
    inputs = write_inputs(tmp_path, examples)

    assert inputs.new_intents == ("reviewed_wifi_bien",)
    assert inputs.examples == 3
    assert inputs.data[0] == PROJECT_ROOT / "nlu_data"
    reviewed = yaml.safe_load(inputs.data[1].read_text(encoding="utf-8"))
    nlu = {item["intent"]: item["examples"] for item in reviewed["nlu"]}
    assert nlu["sector_transport"] == "- xe buýt điện Nha Trang\n"
    # Brackets would read as an entity annotation: the citizen's words stay plain.
    assert nlu["reviewed_wifi_bien"] == "- wifi miễn phí ở bãi biển\n- bãi biển có wifi không\n"
    assert reviewed["rules"] == [
        {
            "rule": "answer reviewed_wifi_bien",
            "steps": [{"intent": "reviewed_wifi_bien"}, {"action": "action_answer"}],
        }
    ]
    assert domain_intents(inputs.domain / "reviewed.yml") == {"reviewed_wifi_bien"}
    assert "sector_transport" in domain_intents(inputs.domain / "domain.yml")
    assert (PROJECT_ROOT / "domain.yml").read_bytes() == before


def test_no_reviewed_examples_trains_on_the_project_alone(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path, [])
    assert inputs.data == [PROJECT_ROOT / "nlu_data"]
    assert inputs.new_intents == ()
    assert not (inputs.domain / "reviewed.yml").exists()
