"""What the relay needs of a platform's Send API client, and the helpers the clients share.

Each call has a timeout; each response is classified (sent / retry later / permanent / token
rejected) by the platform's adapter. Access tokens never appear in logs or errors.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import aiohttp

from bot.channels.base import SendResult

SEND_TIMEOUT = aiohttp.ClientTimeout(total=10, connect=3)


class Sender(Protocol):
    platform: str

    async def send(
        self, user_id: str, body: dict[str, Any], *, messaging_type: str = "RESPONSE"
    ) -> SendResult: ...

    async def typing(self, user_id: str, on: bool) -> None: ...


async def post_json(
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


def transport_error(platform: str, exc: BaseException) -> SendResult:
    """A timeout after the request left is ambiguous (the platform may have delivered it): the
    relay records it as `unknown` instead of sending twice. Connection errors are safe to retry."""
    if isinstance(exc, asyncio.TimeoutError):
        return SendResult(ok=False, error=f"{platform} timeout", extra={"ambiguous": True})
    return SendResult(ok=False, retryable=True, error=f"{platform} {type(exc).__name__}")
