"""Messaging windows: whether, and how, a user may be messaged now.

Facebook: a reply within 24 h of the user's last message is a standard RESPONSE; up to 7 days
only a human may reply, with the HUMAN_AGENT tag; after that nothing. Zalo: consultation messages
are free within 48 h of the user's last interaction, billable up to 7 days, refused after
(Messenger platform policy, Zalo OA pricing). Broadcasts and volunteers' replies ask here before
sending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum


class Window(str, Enum):
    OPEN = "open"  # automated messages allowed
    HUMAN_ONLY = "human_only"  # Facebook: a person may reply with the HUMAN_AGENT tag
    PAID = "paid"  # Zalo: allowed, but billed (48 h - 7 days)
    CLOSED = "closed"


FACEBOOK_STANDARD = timedelta(hours=24)
FACEBOOK_HUMAN_AGENT = timedelta(days=7)
ZALO_FREE = timedelta(hours=48)
ZALO_LIMIT = timedelta(days=7)


@dataclass(frozen=True)
class WindowState:
    window: Window
    messaging_type: str | None  # what the Send API call must say, None when closed

    @property
    def automated_allowed(self) -> bool:
        return self.window is Window.OPEN

    @property
    def human_allowed(self) -> bool:
        return self.window is not Window.CLOSED


def window_state(platform: str, last_inbound: datetime | None, now: datetime) -> WindowState:
    if last_inbound is None:
        return WindowState(Window.CLOSED, None)
    if last_inbound.tzinfo is None and now.tzinfo is not None:
        last_inbound = last_inbound.replace(tzinfo=now.tzinfo)
    age = now - last_inbound
    if platform == "facebook":
        if age <= FACEBOOK_STANDARD:
            return WindowState(Window.OPEN, "RESPONSE")
        if age <= FACEBOOK_HUMAN_AGENT:
            return WindowState(Window.HUMAN_ONLY, "MESSAGE_TAG:HUMAN_AGENT")
        return WindowState(Window.CLOSED, None)
    if platform == "zalo":
        if age <= ZALO_FREE:
            return WindowState(Window.OPEN, "RESPONSE")
        if age <= ZALO_LIMIT:
            return WindowState(Window.PAID, "RESPONSE")
        return WindowState(Window.CLOSED, None)
    return WindowState(Window.OPEN, "RESPONSE")  # web chat: the page asks, we answer
