"""Send API clients: Facebook `me/messages` and Zalo `/v3.0/oa/message/cs`.

Each call has a timeout; each response is classified (sent / retry later / permanent / token
rejected). Access tokens never appear in logs or errors: Graph URLs are logged without query.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

import aiohttp

from bot.channels import facebook, zalo
from bot.channels.base import SendResult
from bot.channels.zalo_tokens import ZaloTokenManager

log = logging.getLogger(__name__)

SEND_TIMEOUT = aiohttp.ClientTimeout(total=10, connect=3)


class Sender(Protocol):
    platform: str

    async def send(
        self, user_id: str, body: dict[str, Any], *, messaging_type: str = "RESPONSE"
    ) -> SendResult: ...

    async def typing(self, user_id: str, on: bool) -> None: ...


async def _post_json(
    session: aiohttp.ClientSession,
    url: str,
    payload: dict[str, Any],
    *,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> tuple[int, Any]:
    async with session.post(
        url, json=payload, headers=headers, params=params, timeout=SEND_TIMEOUT
    ) as resp:
        try:
            body = await resp.json(content_type=None)
        except (ValueError, aiohttp.ContentTypeError):
            body = None
        return resp.status, body


def _transport_error(platform: str, exc: BaseException) -> SendResult:
    # A timeout after the request left is ambiguous (the platform may have delivered it); the
    # relay records it as `unknown` instead of sending twice. Connection errors are safe to retry.
    if isinstance(exc, asyncio.TimeoutError):
        return SendResult(ok=False, error=f"{platform} timeout", extra={"ambiguous": True})
    return SendResult(ok=False, retryable=True, error=f"{platform} {type(exc).__name__}")


class FacebookSender:
    platform = facebook.PLATFORM

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
            status, data = await _post_json(
                self._session, self._url, payload, params={"access_token": self._token}
            )
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            return _transport_error(self.platform, exc)
        return facebook.classify_response(status, data)

    async def typing(self, user_id: str, on: bool) -> None:
        action = "typing_on" if on else "typing_off"
        # A missing typing indicator is cosmetic: its failures are ignored.
        with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
            await _post_json(
                self._session,
                self._url,
                {"recipient": {"id": user_id}, "sender_action": action},
                params={"access_token": self._token},
            )


class ZaloSender:
    platform = zalo.PLATFORM

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
            status, data = await _post_json(
                self._session, self._url, payload, headers={"access_token": token}
            )
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            return _transport_error(self.platform, exc)
        return zalo.classify_response(status, data)

    async def typing(self, user_id: str, on: bool) -> None:
        return None  # Zalo OA has no documented typing indicator
