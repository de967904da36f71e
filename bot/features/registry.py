"""The features of the assistant, and the order their chat handlers run in.

Adding a feature: its package under bot/features/ with a `feature.py` that defines `FEATURE`,
one line in FEATURES below, its handlers' names in the order lists, and a migration for its
tables (README, "Adding a feature").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.admin.figures import FigureProvider
from bot.admin.keys import FeaturePages
from bot.channels.recipients import RecipientDirectory
from bot.conversation import consent, no_words, understanding
from bot.conversation.chain import ChatHandlers
from bot.conversation.turn import Chain
from bot.core.services import Services
from bot.features.base import Feature
from bot.features.contest.feature import FEATURE as CONTEST
from bot.features.data_rights.feature import FEATURE as DATA_RIGHTS
from bot.features.events.feature import FEATURE as EVENTS
from bot.features.guidance.feature import FEATURE as GUIDANCE
from bot.features.handoff.feature import FEATURE as HANDOFF
from bot.features.newsletter.feature import FEATURE as NEWSLETTER
from bot.features.old_address.feature import FEATURE as OLD_ADDRESS
from bot.features.quiz.feature import FEATURE as QUIZ
from bot.features.scam.feature import FEATURE as SCAM
from bot.features.services.feature import FEATURE as SERVICES
from bot.pipeline.hooks import OutboundHooks

CONSENT = Feature("consent", chat=consent.chat)
NO_WORDS = Feature("no_words", chat=no_words.chat)
UNDERSTANDING = Feature("understanding", chat=understanding.chat)
FEATURES: tuple[Feature, ...] = (
    CONSENT, HANDOFF, CONTEST, QUIZ, SCAM, EVENTS, NEWSLETTER, DATA_RIGHTS, GUIDANCE,
    OLD_ADDRESS, SERVICES, NO_WORDS, UNDERSTANDING,
)  # fmt: skip

# The order of the chat handlers, as "feature.handler": the first that takes a message answers.
# Before the NLU: buttons and typed answers of the gateway's dialogues, then what a feature
# awaits, then pasted messages, then questions about old addresses; then the message is read
# with a second opinion (bot/conversation/understanding.py): a named public service gets its
# card, a doubt a question back, and the dialogue is given the intent decided.
BEFORE_NLU = (
    "consent.dialogue",
    "handoff.rating",
    "handoff.during",
    "contest.submission",
    "quiz.answer",
    "scam.check",
    "old_address.question",
    "services.tap",
    # Late: a feature may await an answer that has no words (or be a person's).
    "no_words.fallback",
    "understanding.read",
    "services.named",
    "understanding.settle",
)
# A second reading of the message under the intent's topic, before anything is recorded.
REREADS = ("scam.pasted",)
# After the NLU: intents answered from a feature's data instead of the assistant's text.
AFTER_NLU = (
    "handoff.request",
    "quiz.intent",
    "contest.rules",
    "events.dated",
    "newsletter.intent",
    "data_rights.request",
)
# Added to the assistant's own answer, in this order.
ADD_ONS = ("newsletter.follow_offer", "quiz.reminder")
# The features' figures in the order the dashboard and the report's sheets show them.
FIGURES = ("quiz", "newsletter", "guidance", "contest", "handoff", "scam")


@dataclass(frozen=True)
class Installed:
    """The features built for one process: their desks by name, and the turn's chain."""

    desks: Mapping[str, Any]
    chain: Chain
    features: Sequence[Feature] = FEATURES

    def desk(self, name: str) -> Any:
        return self.desks[name]


def figure_providers(features: Sequence[Feature] = FEATURES) -> list[FigureProvider[Any]]:
    by_name = {f.name: f for f in features}
    return [p for name in FIGURES if name in by_name and (p := by_name[name].figures)]


def admin_pages(features: Sequence[Feature] = FEATURES) -> dict[str, FeaturePages]:
    return {f.name: f.admin for f in features if f.admin is not None}


def outbox_hooks(
    services: Services, directory: RecipientDirectory, features: Sequence[Feature] = FEATURES
) -> OutboundHooks:
    """What the relay must do around the sending of each feature's kinds of rows."""
    hooks = OutboundHooks()
    for feature in features:
        if feature.outbox_hooks is not None:
            for kind, kind_hooks in feature.outbox_hooks(services, directory).items():
                hooks.register(kind, kind_hooks)
    return hooks


def install(services: Services, features: Sequence[Feature] = FEATURES) -> Installed:
    desks = {f.name: f.build(services) for f in features if f.build is not None}
    handlers = {
        f.name: f.chat(desks.get(f.name), services) for f in features if f.chat is not None
    }
    chain = Chain(
        before_nlu=_ordered(handlers, BEFORE_NLU, "before_nlu"),
        after_nlu=_ordered(handlers, AFTER_NLU, "after_nlu"),
        rereads=_ordered(handlers, REREADS, "rereads"),
        add_ons=_ordered(handlers, ADD_ONS, "add_ons"),
    )
    return Installed(desks, chain, tuple(features))


def _ordered(handlers: Mapping[str, ChatHandlers], order: Sequence[str], part: str) -> list[Any]:
    """The handlers named in `order` ("feature.handler"), skipping features not installed; a
    feature's handler missing from `order` is a mistake, and so is a name with no handler."""
    found = []
    for name in order:
        feature, _, handler = name.partition(".")
        if feature not in handlers:
            continue
        table = getattr(handlers[feature], part)
        if handler not in table:
            raise LookupError(f"{name} is in the {part} order but {feature} has no such handler")
        found.append(table[handler])
    listed = set(order)
    for feature, chat in handlers.items():
        for handler in getattr(chat, part):
            if f"{feature}.{handler}" not in listed:
                raise LookupError(f"{feature}.{handler} has no place in the {part} order")
    return found
