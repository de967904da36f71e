"""Zalo OA's customer-service message API (`/v3.0/oa/message/cs`), with the access token from
the token manager (refreshed once and retried when Zalo rejects it)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from bot.channels.base import SendResult
from bot.channels.send import post_json, transport_error
from bot.channels.zalo import adapter
from bot.channels.zalo.tokens import ZaloTokenManager


class ZaloSender:
    platform = adapter.PLATFORM

    def __init__(
        self, session: aiohttp.ClientSession, api_url: str, tokens: ZaloTokenManager
    ) -> None:
        self._session = session
        self._url = f"{api_url}/v3.0/oa/message/cs"
        self._tokens = tokens

    async def send(
        self, user_id: str, body: dict[str, Any], *, messaging_type: str = "RESPONSE"
    ) -> SendResult:
        payload = {"recipient": {"user_id": user_id}, **body}
        token = await self._tokens.access_token()
        result = await self._send_once(payload, token)
        if result.token_invalid:
            # -216/-220: refresh (single-flight) and retry once with the new token.
            token = await self._tokens.refresh(stale=token)
            result = await self._send_once(payload, token)
        return result

    async def _send_once(self, payload: dict[str, Any], token: str) -> SendResult:
        if not token:
            return SendResult(ok=False, retryable=True, error="zalo: no access token")
        try:
            status, data = await post_json(
                self._session, self._url, payload, headers={"access_token": token}
            )
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            return transport_error(self.platform, exc)
        return adapter.classify_response(status, data)

    async def typing(self, user_id: str, on: bool) -> None:
        return None  # Zalo OA has no documented typing indicator
