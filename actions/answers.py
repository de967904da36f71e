"""`action_answer`: reply to any FAQ intent from the content files.

Answers are data (content/answers.yml), so adding a topic is a data change: an intent in
nlu_data/, its answer, its line in topics.yml and a rule. When the NLU falls back because two
intents are close, the action asks which one the citizen meant instead of guessing.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.content import Answer, content

# A clarifying question is asked only when the two best intents are both plausible.
CLARIFY_MIN_CONFIDENCE = 0.2
CLARIFY_MAX_GAP = 0.15


class ActionAnswer(Action):
    def name(self) -> str:
        return "action_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "nlu_fallback" and self._clarify(dispatcher, tracker):
            return []
        answer = content().get(intent) or content().get("nlu_fallback")
        assert answer is not None, "answers.yml must define nlu_fallback"
        utter_answer(dispatcher, answer)
        return []

    @staticmethod
    def _clarify(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
        ranking = [
            r
            for r in tracker.latest_message.get("intent_ranking") or []
            if r.get("name") not in {"nlu_fallback", "out_of_scope"}
        ]
        if len(ranking) < 2:
            return False
        first, second = ranking[0], ranking[1]
        if second.get("confidence", 0.0) < CLARIFY_MIN_CONFIDENCE:
            return False
        if first.get("confidence", 0.0) - second.get("confidence", 0.0) > CLARIFY_MAX_GAP:
            return False
        buttons = [content().button(r["name"]) for r in (first, second)]
        if not all(buttons):
            return False
        dispatcher.utter_message(
            text="Mình chưa chắc bạn muốn hỏi điều nào. Bạn chọn giúp mình nhé:",
            buttons=[b for b in buttons if b],
        )
        return True


def utter_answer(dispatcher: CollectingDispatcher, answer: Answer) -> None:
    messages = list(answer.messages)
    source = content().source_line(answer)
    if source:
        messages[-1] = f"{messages[-1]}\n\n{source}"
    buttons = [b for b in (content().button(k) for k in answer.buttons) if b]
    for i, text in enumerate(messages):
        last = i == len(messages) - 1
        dispatcher.utter_message(text=text, buttons=buttons if last and buttons else None)
