"""The content files and the domain agree: every intent has a topic and an answer."""

from __future__ import annotations

import re

import pytest
import yaml

from actions.content import content, load_content
from bot.engine.topics import OUT_OF_SCOPE, TOPIC_NAMES, TopicMap
from bot.settings import PROJECT_ROOT

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
DOMAIN_INTENTS = set(DOMAIN["intents"])
RASA_BUILTIN = {"nlu_fallback"}


def test_every_intent_has_exactly_one_topic() -> None:
    topics = TopicMap.load()
    assert DOMAIN_INTENTS - topics.intents() == set()
    assert topics.intents() - DOMAIN_INTENTS - RASA_BUILTIN == set()
    assert set(topics.by_intent.values()) <= set(TOPIC_NAMES)


def test_fallback_and_unknown_intents_count_as_out_of_scope() -> None:
    topics = TopicMap.load()
    assert topics.topic_of("dx_what_is") == "dx_basics"
    assert topics.topic_of("dx_what_is", fallback=True) == OUT_OF_SCOPE
    assert topics.topic_of("nlu_fallback") == OUT_OF_SCOPE
    assert topics.topic_of(None) == OUT_OF_SCOPE
    assert topics.topic_of("never_heard_of") == OUT_OF_SCOPE


def test_every_intent_has_an_answer_and_every_answer_an_intent() -> None:
    answers = set(content().answers)
    assert DOMAIN_INTENTS - answers == set()
    assert answers - DOMAIN_INTENTS - RASA_BUILTIN == set()


def test_buttons_lead_to_existing_answers_with_short_titles() -> None:
    c = content()
    for key, answer in c.answers.items():
        for target in answer.buttons:
            assert target in c.answers, f"{key} offers a button to unknown {target}"
        # Facebook quick replies show at most 20 characters.
        assert len(answer.title) <= 20, f"title of {key} is too long: {answer.title!r}"


def test_messages_fit_a_phone_screen_and_cite_sources() -> None:
    for key, answer in content().answers.items():
        for message in answer.messages:
            assert 0 < len(message) <= 640, f"{key}: a message of {len(message)} characters"
            assert "{" not in message, f"{key}: unresolved placeholder in {message!r}"
    factual_topics = {"dx_basics", "vneid", "scam_awareness", "public_services"}
    topics = TopicMap.load()
    for intent, topic in topics.by_intent.items():
        if topic in factual_topics:
            assert content().answers[intent].source, f"{intent} states facts without a source"


def test_an_unknown_placeholder_is_an_error(tmp_path) -> None:
    (tmp_path / "links.yml").write_text("a: b\n")
    (tmp_path / "answers.yml").write_text("x:\n  messages: ['see {nowhere}']\n")
    with pytest.raises(KeyError, match="nowhere"):
        load_content(tmp_path)


def test_unconfirmed_facts_are_not_stated() -> None:
    """The content brief marks these UNCONFIRMED: they must not appear as facts."""
    text = (PROJECT_ROOT / "content" / "answers.yml").read_text(encoding="utf-8")
    text += (PROJECT_ROOT / "content" / "links.yml").read_text(encoding="utf-8").split("\n", 4)[-1]
    for unconfirmed in (
        "canhbao.khonggianmang.gov.vn",
        "dichvucong.khanhhoa.gov.vn",
        "0692348560",
    ):
        assert unconfirmed not in text
    # "Sở Thông tin và Truyền thông" no longer exists in Khánh Hòa (merged 1/3/2025).
    assert not re.search(r"Sở Thông tin và Truyền thông (tỉnh )?Khánh Hòa", text)


def test_every_intent_has_25_examples_a_third_without_diacritics() -> None:
    from bot.nlu.text import has_diacritics

    for path in sorted((PROJECT_ROOT / "nlu_data").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for block in data.get("nlu") or []:
            examples = [
                line.strip()[2:] for line in block["examples"].splitlines() if line.strip()
            ]
            plain = [e for e in examples if not has_diacritics(e)]
            assert len(examples) >= 25, f"{block['intent']}: {len(examples)} examples"
            assert len(plain) * 3 >= len(examples), f"{block['intent']}: {len(plain)} unaccented"


def test_each_training_file_holds_one_topic() -> None:
    topics = TopicMap.load()
    for path in sorted((PROJECT_ROOT / "nlu_data").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for block in data.get("nlu") or []:
            assert topics.topic_of(block["intent"]) == path.stem, (path.name, block["intent"])


def test_fallback_offers_a_person() -> None:
    assert "handoff_request" in content().answers["nlu_fallback"].buttons
