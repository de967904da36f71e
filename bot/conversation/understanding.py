"""Read a message before the dialogue answers it: the classifier's ranking with a second opinion
from the nearest examples (bot/nlu/second_opinion.py).

`read` parses the message and decides, for the handlers after it (a named public service is
answered from the catalogue); `settle` acts: an answer goes to the dialogue as its intent, a
doubt becomes a question with the likeliest topics as buttons ("Bạn muốn hỏi về...?"), and a
message nothing is near gets the "chưa hiểu" answer.
"""

from __future__ import annotations

import logging

from actions.content import content
from bot.conversation.chain import Answer, ChatHandlers, Notice, Turn
from bot.core.replies import Reply
from bot.core.services import Services
from bot.nlu.live_retrieval import LiveRetriever
from bot.nlu.retrieval import Retriever
from bot.nlu.second_opinion import FALLBACK, Decision, Kind, decide, ranking_of, sure_alone

log = logging.getLogger(__name__)

CLARIFY_INTENT = "clarify"
QUESTION = "Bạn muốn hỏi về điều nào dưới đây? Bạn chọn giúp mình nhé:"


def clarifying_question(choices: tuple[str, ...]) -> Reply | None:
    """The question with one button per intent offered, or None if a button is missing."""
    buttons = [content().button(intent) for intent in choices]
    if len(buttons) < 2 or not all(buttons):
        return None
    return Reply(QUESTION, tuple(b for b in buttons if b))


def chat(desk: None, services: Services) -> ChatHandlers:
    # Built at start-up; follows the reviewed examples of the model in service.
    retrieval = LiveRetriever(Retriever.pairs(), services.engine)
    topics = services.topics
    offerable = frozenset(k for k in content().answers if content().button(k))

    async def read(turn: Turn) -> Answer | None:
        if turn.nlu_text is not None or turn.text.startswith("/") or services.assistant is None:
            return None  # a button, or a message an earlier handler already settled
        text = turn.text[: services.settings.max_message_chars]
        try:
            parse = await services.assistant.parse(text)
        except Exception as exc:  # the dialogue turn reports it; the message is not lost
            log.warning("parse before the dialogue failed: %s", type(exc).__name__)
            return None
        ranking = ranking_of(parse)
        # Most messages are read surely by the classifier: the search costs a millisecond.
        neighbours = [] if sure_alone(ranking) else (await retrieval.current()).ranking(text)
        turn.reading = decide(ranking, neighbours, topics, offerable=offerable)
        turn.ranking = ranking
        return None

    async def settle(turn: Turn) -> Answer | None:
        decision: Decision | None = turn.reading
        if decision is None:
            return None
        if decision.kind is Kind.CLARIFY:
            question = clarifying_question(decision.choices)
            if question is not None:
                topic = topics.topic_of(decision.choices[0])
                return Answer([question], CLARIFY_INTENT, topic, Notice.FIRST_CONTACT)
            turn.nlu_text = f"/{FALLBACK}"
        elif decision.kind is Kind.FALLBACK:
            turn.nlu_text = f"/{FALLBACK}"
        else:
            # The dialogue is given the intent decided here, not a second reading of the text.
            turn.nlu_text = f"/{decision.intent}"
        return None

    return ChatHandlers(before_nlu={"read": read, "settle": settle})
