"""The monthly newsletter and the alerts to a segment, as the registry sees them."""

from __future__ import annotations

from bot.channels.recipients import RecipientDirectory
from bot.core.services import Services
from bot.features.base import Feature
from bot.features.newsletter import admin as newsletter_admin
from bot.features.newsletter import figures as newsletter_figures
from bot.features.newsletter.chat import chat
from bot.features.newsletter.desk import NewsletterDesk
from bot.features.newsletter.hooks import ALERT_KIND, OUTBOX_KIND, alert_hooks, newsletter_hooks
from bot.pipeline.hooks import SendHooks


async def send_due(desk: NewsletterDesk, services: Services) -> None:
    """Queue the issues whose time has come."""
    await desk.send_due()


def outbox_hooks(services: Services, directory: RecipientDirectory) -> dict[str, SendHooks]:
    """An issue is not sent to a citizen who unsubscribed after it was queued, nor an alert to
    one who withdrew consent."""
    return {
        OUTBOX_KIND: newsletter_hooks(services.engine),
        ALERT_KIND: alert_hooks(services.engine),
    }


FEATURE = Feature(
    "newsletter",
    build=NewsletterDesk,
    chat=chat,
    sweep=send_due,
    admin=newsletter_admin.PAGES,
    figures=newsletter_figures.PROVIDER,
    outbox_hooks=outbox_hooks,
)
