"""Messenger's Send API client (`me/messages`). The page token travels as a query parameter and
Graph URLs are logged without their query, so it never appears in logs or errors."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import aiohttp

from bot.channels.base import SendResult
from bot.channels.facebook import adapter
from bot.channels.send import post_json, transport_error


class FacebookSender:
    platform = adapter.PLATFORM

    def __init__(self, session: aiohttp.ClientSession, graph_url: str, page_token: str) -> None:
        self._session = session
        self._url = f"{graph_url}/me/messages"
        self._token = page_token

    async def send(
        self, user_id: str, body: dict[str, Any], *, messaging_type: str = "RESPONSE"
    ) -> SendResult:
        payload: dict[str, Any] = {"recipient": {"id": user_id}, **body}
        if messaging_type.startswith("MESSAGE_TAG:"):
            payload["messaging_type"] = "MESSAGE_TAG"
            payload["tag"] = messaging_type.split(":", 1)[1]
        else:
            payload["messaging_type"] = messaging_type
        try:
            status, data = await post_json(
                self._session, self._url, payload, params={"access_token": self._token}
            )
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            return transport_error(self.platform, exc)
        return adapter.classify_response(status, data)

    async def typing(self, user_id: str, on: bool) -> None:
        action = "typing_on" if on else "typing_off"
        # A missing typing indicator is cosmetic: its failures are ignored.
        with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
            await post_json(
                self._session,
                self._url,
                {"recipient": {"id": user_id}, "sender_action": action},
                params={"access_token": self._token},
            )
