"""The second opinion's decision on given rankings (bot/nlu/second_opinion.py), and the
retrieval on the project's own data."""

from __future__ import annotations

import pytest

from bot.engine.topics import TopicMap
from bot.nlu.retrieval import Neighbour, Retriever
from bot.nlu.second_opinion import Kind, decide

TOPICS = TopicMap.load()


def test_a_confident_classifier_answers() -> None:
    decision = decide([("vneid_level2", 0.9)], [Neighbour("scam_general", 0.9)], TOPICS)
    assert decision.kind is Kind.ANSWER and decision.intent == "vneid_level2"


def test_an_unsure_classifier_backed_by_a_near_example_answers() -> None:
    ranking = [("vneid_level2", 0.35), ("scam_general", 0.3)]
    decision = decide(ranking, [Neighbour("vneid_activate", 0.7)], TOPICS)
    assert decision.kind is Kind.ANSWER and decision.intent == "vneid_level2"


def test_two_opinions_on_different_topics_ask_back_with_both() -> None:
    ranking = [("security_password", 0.4), ("vneid_level2", 0.3), ("scam_general", 0.1)]
    decision = decide(ranking, [Neighbour("vneid_activate", 0.6)], TOPICS)
    assert decision.kind is Kind.CLARIFY
    topics = [TOPICS.topic_of(i) for i in decision.choices]
    assert topics[:2] == ["account_security", "vneid"]
    assert len(set(topics)) == len(topics) <= 3


def test_nothing_near_and_an_unsure_classifier_is_not_understood() -> None:
    decision = decide([("dx_what_is", 0.15)], [Neighbour("quiz_start", 0.1)], TOPICS)
    assert decision.kind is Kind.FALLBACK


def test_choices_never_offer_the_fallback_or_small_talk() -> None:
    ranking = [("out_of_scope", 0.3), ("greet", 0.25), ("vneid_level2", 0.2)]
    decision = decide(ranking, [Neighbour("scam_general", 0.5)], TOPICS)
    assert "out_of_scope" not in decision.choices and "greet" not in decision.choices


@pytest.fixture(scope="module")
def retriever() -> Retriever:
    return Retriever.load()


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("lam sao kich hoat dinh danh muc hai", "vneid"),  # unaccented, spelt-out number
        ("bi lua chuyen tien roi giờ bao cong an o dau", "report_incident"),
        ("mat khau manh dat ntn", "account_security"),  # teencode
    ],
)
def test_the_nearest_examples_point_to_the_topic(
    retriever: Retriever, text: str, topic: str
) -> None:
    [best, *_] = retriever.ranking(text)
    assert TOPICS.topic_of(best.intent) == topic, best


def test_no_words_no_neighbours(retriever: Retriever) -> None:
    assert retriever.ranking("") == [] and retriever.ranking("???") == []
