"""Meta's data-deletion callback: `POST /webhooks/facebook/deletion` and its status page.

When a person removes the app in their Facebook settings, Meta posts a `signed_request`
(base64url signature "." base64url JSON, HMAC-SHA256 with the app secret). We verify it, erase
everything stored for that Facebook user (every page they wrote to), and answer
`{"url": ..., "confirmation_code": ...}` as Meta requires. The code is signed rather than stored,
so the status page can confirm it without keeping anything about the person.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
from datetime import datetime, timezone
from typing import Any

from aiohttp import web
from sqlalchemy import select

from bot.channels.facebook.adapter import PLATFORM
from bot.core.privacy import rasa_sender_id
from bot.db.models import recipients
from bot.features.data_rights.erasure import erase
from bot.web import keys
from bot.web.errors import json_error

log = logging.getLogger(__name__)
STATUS_PATH = "/privacy/deletion"


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def parse_signed_request(signed: str, app_secret: str) -> dict[str, Any] | None:
    """The payload of a valid signed_request, or None (bad format or signature)."""
    try:
        signature_part, payload_part = signed.split(".", 1)
        signature = _b64decode(signature_part)
        payload = json.loads(_b64decode(payload_part))
    except (ValueError, TypeError):
        return None
    expected = hmac.new(app_secret.encode(), payload_part.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected) or not isinstance(payload, dict):
        return None
    if str(payload.get("algorithm", "")).upper() != "HMAC-SHA256":
        return None
    return payload


def confirmation_code(app_secret: str, when: datetime) -> str:
    stamp = when.strftime("%Y%m%d%H%M%S") + secrets.token_hex(4)
    tag = hmac.new(app_secret.encode(), stamp.encode(), hashlib.sha256).hexdigest()[:16]
    return f"{stamp}-{tag}"


def check_code(app_secret: str, code: str) -> datetime | None:
    stamp, _, tag = code.partition("-")
    expected = hmac.new(app_secret.encode(), stamp.encode(), hashlib.sha256).hexdigest()[:16]
    if len(stamp) != 22 or not hmac.compare_digest(tag, expected):
        return None
    try:
        return datetime.strptime(stamp[:14], "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


async def deletion_callback(request: web.Request) -> web.Response:
    secret = request.app[keys.settings_key].facebook.app_secret
    if not secret:
        return json_error(404)
    form = await request.post()
    signed = form.get("signed_request")
    payload = parse_signed_request(signed, secret) if isinstance(signed, str) else None
    if payload is None or not str(payload.get("user_id", "")):
        return json_error(403, "signed_request không hợp lệ.")
    user_id = str(payload["user_id"])
    async with request.app[keys.services_key].engine.connect() as conn:
        refs = (
            (
                await conn.execute(
                    select(recipients.c.user_ref).where(
                        recipients.c.platform == PLATFORM,
                        recipients.c.platform_user_id == user_id,
                    )
                )
            )
            .scalars()
            .all()
        )
    now = request.app[keys.services_key].clock()
    removed = 0
    for ref in refs:
        sender_ids = [rasa_sender_id(PLATFORM, ref)]
        removed += await erase(
            request.app[keys.services_key].writer, ref, sender_ids, now, channel=PLATFORM
        )
        request.app[keys.directory_key].forget(ref)
        request.app[keys.services_key].citizens.forget(ref)
    log.info("Meta data-deletion request: %d rows erased", removed)
    code = confirmation_code(secret, now)
    url = f"{request.scheme}://{request.host}{STATUS_PATH}?code={code}"
    return web.json_response({"url": url, "confirmation_code": code})


async def deletion_status(request: web.Request) -> web.Response:
    secret = request.app[keys.settings_key].facebook.app_secret
    when = check_code(secret, request.query.get("code", "")) if secret else None
    if when is None:
        text = "Không tìm thấy yêu cầu xóa dữ liệu với mã này."
        status = 404
    else:
        text = (
            f"Yêu cầu xóa dữ liệu nhận lúc {when:%d/%m/%Y %H:%M} (UTC) đã được thực hiện: "
            "mọi dữ liệu trợ lý lưu về bạn trên Facebook Messenger đã bị xóa."
        )
        status = 200
    html = (
        '<!doctype html><html lang="vi"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Xóa dữ liệu</title><p>{text}</p></html>"
    )
    return web.Response(text=html, status=status, content_type="text/html")


def setup(app: web.Application) -> None:
    app.router.add_post("/webhooks/facebook/deletion", deletion_callback)
    app.router.add_get(STATUS_PATH, deletion_status)
