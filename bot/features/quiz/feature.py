"""The digital-transformation quiz, as the registry sees it."""

from __future__ import annotations

from bot.features.base import Feature
from bot.features.quiz import admin as quiz_admin
from bot.features.quiz import figures as quiz_figures
from bot.features.quiz.chat import chat
from bot.features.quiz.play import QuizDesk

FEATURE = Feature(
    "quiz", build=QuizDesk, chat=chat, admin=quiz_admin.PAGES, figures=quiz_figures.PROVIDER
)
