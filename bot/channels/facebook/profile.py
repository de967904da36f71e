"""Messenger Profile API: Get Started button, greeting and persistent menu of the page."""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.channels.facebook.adapter import GET_STARTED_PAYLOAD

GREETING = (
    "Xin chào {{user_first_name}}! Đây là trợ lý chuyển đổi số tỉnh Khánh Hòa (trả lời tự động): "
    "hỏi về VNeID, dịch vụ công, nhận biết lừa đảo trên mạng."
)
MENU = [
    ("Chuyển đổi số là gì?", "/dx_what_is"),
    ("Đăng ký VNeID mức 2", "/vneid_level2"),
    ("Nhận biết lừa đảo", "/scam_general"),
    ("Gặp người hỗ trợ", "/handoff_request"),
]


def profile_body() -> dict[str, Any]:
    return {
        "get_started": {"payload": GET_STARTED_PAYLOAD},
        "greeting": [{"locale": "default", "text": GREETING}],
        "persistent_menu": [
            {
                "locale": "default",
                "composer_input_disabled": False,
                "call_to_actions": [
                    {"type": "postback", "title": title, "payload": payload}
                    for title, payload in MENU
                ],
            }
        ],
    }


async def setup_profile(graph_url: str, page_token: str) -> tuple[int, Any]:
    timeout = aiohttp.ClientTimeout(total=20)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.post(
            f"{graph_url}/me/messenger_profile",
            params={"access_token": page_token},
            json=profile_body(),
        ) as resp,
    ):
        return resp.status, await resp.json(content_type=None)
