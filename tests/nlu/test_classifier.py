"""The intent classifier of the trained model (bot/nlu/classifier.py): it reads lemmas, ranks
every intent it knows, and a model stored without its file ranks nothing rather than failing."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource

from bot.engine.runner import AssistantRunner
from bot.nlu.classifier import TfidfIntentClassifier


async def test_accents_and_teencode_read_alike(runner: AssistantRunner) -> None:
    accented = await runner.parse("chuyển đổi số là gì vậy")
    plain = await runner.parse("chuyen doi so la gi vay")
    teencode = await runner.parse("cds la j v")
    assert accented["intent"]["name"] == plain["intent"]["name"] == "dx_what_is"
    assert teencode["intent"]["name"] == "dx_what_is"
    assert abs(accented["intent"]["confidence"] - plain["intent"]["confidence"]) < 1e-6


async def test_ranking_is_a_distribution_over_intents(runner: AssistantRunner) -> None:
    parsed = await runner.parse("quên mật khẩu VNeID thì làm thế nào")
    ranking = parsed["intent_ranking"]
    names = [r["name"] for r in ranking if r["name"] != "nlu_fallback"]
    assert len(names) == len(set(names)) >= 5
    confidences = [r["confidence"] for r in ranking if r["name"] != "nlu_fallback"]
    assert confidences == sorted(confidences, reverse=True)
    assert 0.0 < sum(confidences) <= 1.0 + 1e-6


def test_a_model_without_the_classifier_file_ranks_nothing(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    component = TfidfIntentClassifier.load(
        {},
        storage,
        Resource("missing"),
        execution_context=None,  # type: ignore[arg-type]
    )
    assert component.pipeline is None
    assert component.process([]) == []


@pytest.mark.parametrize("intents", [2, 4])
def test_the_fast_scores_are_the_pipelines(intents: int) -> None:
    """bot/nlu/fast_scores.py reads the fitted pipeline: the same probabilities (to float32)."""
    from bot.nlu.fast_scores import FastScores
    from bot.nlu.vocabulary import lemmas

    examples = {
        "dx_what_is": ["chuyển đổi số là gì", "cds la j", "chuyen doi so nghia la gi"],
        "vneid_account": ["quên mật khẩu vneid", "doi sdt tren vneid", "tk vneid bi khoa"],
        "greet": ["xin chào", "chao ad", "hello bot"],
        "policy_nq57": ["nghị quyết 57 là gì", "nq57 noi gi", "nq 57 ve khoa hoc"],
    }
    chosen = dict(list(examples.items())[:intents])
    texts = [" ".join(lemmas(t)) for lines in chosen.values() for t in lines]
    labels = [intent for intent, lines in chosen.items() for _ in lines]
    pipeline = TfidfIntentClassifier({}, None, None)._new_pipeline()  # type: ignore[arg-type]
    pipeline.fit(texts, labels)
    fast = FastScores(pipeline)
    probes = ["chuyển đổi số là gì vậy", "nq57", "👍", "", "a  b   c", "x" * 40, "10/10 la gi"]
    for probe in probes:
        read = " ".join(lemmas(probe))
        slow = pipeline.predict_proba([read])[0]
        assert fast.classes == [str(c) for c in pipeline.classes_]
        assert abs(fast.proba(read) - slow).max() < 1e-4, probe
