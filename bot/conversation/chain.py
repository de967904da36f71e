"""A turn as a chain of handlers, in the manner of aiogram's routers.

Each feature registers handlers; bot/features/registry.py puts them in order. A handler is given
the turn and returns an `Answer`, or None to pass the message on to the next one. Handlers
before the NLU see the raw text (buttons, answers a feature awaits, pasted messages); handlers
after it also see the NLU's result and topic.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from bot.conversation.citizens import Citizen
from bot.core.replies import Reply

if TYPE_CHECKING:
    from bot.engine.runner import TurnResult
    from bot.nlu.second_opinion import Decision


class Notice(Enum):
    """When the consent notice follows an answer."""

    NEVER = "never"  # the answer is itself about consent or data, or a person is talking
    FIRST_CONTACT = "first_contact"  # on a citizen's very first message
    USUAL = "usual"  # first contact, or a new conversation of a citizen who has not chosen


@dataclass
class Turn:
    """One message being handled: what every handler sees."""

    citizen: Citizen
    channel: str
    text: str
    # A fresh citizen (never asked for consent), decided before any handler ran.
    first_contact: bool
    # After the NLU: its result, the topic of the intent, whether this message opens a
    # conversation and whether the NLU understood it.
    result: TurnResult | None = None
    topic: str = "out_of_scope"
    opens_conversation: bool = False
    understood: bool = True
    # A new Zalo follower's first message.
    follow: bool = False
    # What a second reading put instead of the assistant's answer: replies, recorded intent.
    reread: tuple[list[Reply], str] | None = None
    # What the NLU is given instead of the text, when a handler already knows the intent
    # (the text is still what is recorded).
    nlu_text: str | None = None
    # What bot/conversation/understanding.py decided before the dialogue, and the classifier's
    # ranking it read (recorded instead of the dialogue's, which is given the decided intent).
    reading: Decision | None = None
    ranking: list[tuple[str, float]] = field(default_factory=list)
    # The platform's address of the image the citizen sent (the text is then "/share_image").
    attachment_url: str | None = None

    @property
    def intent(self) -> str | None:
        return self.result.intent if self.result is not None else None


@dataclass
class Answer:
    replies: list[Reply]
    # Before the NLU, the intent and topic recorded for the message; after it, the topic
    # replaces the intent's (None: the turn's).
    intent: str | None = None
    topic: str | None = None
    notice: Notice = Notice.USUAL
    # The kind of outbox row the last reply becomes (bot/pipeline/hooks.py): features act
    # around the sending of their kinds.
    last_kind: str | None = None


Handler = Callable[[Turn], Awaitable["Answer | None"]]
# Something added to the assistant's own answer (an offer, a reminder), or nothing.
AddOn = Callable[[Turn], Awaitable["Reply | None"]]
# A second reading of a message under its topic: replies and the intent to record instead.
Reread = Callable[[str, str], "tuple[list[Reply], str] | None"]


async def first_answer(handlers: Sequence[Handler], turn: Turn) -> Answer | None:
    """The answer of the first handler that takes the message."""
    for handler in handlers:
        answer = await handler(turn)
        if answer is not None:
            return answer
    return None


@dataclass(frozen=True)
class ChatHandlers:
    """A feature's part in a turn, each by name; bot/features/registry.py says in which order
    the handlers of all features run."""

    before_nlu: Mapping[str, Handler] = field(default_factory=dict)
    after_nlu: Mapping[str, Handler] = field(default_factory=dict)
    rereads: Mapping[str, Reread] = field(default_factory=dict)
    add_ons: Mapping[str, AddOn] = field(default_factory=dict)
