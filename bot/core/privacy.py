"""Pseudonymous user references.

`user_ref = HMAC-SHA256(PSEUDONYM_KEY, "channel:page_or_oa:platform_id")`: stable for one person
on one page, not reversible without the key, and not enumerable the way a plain hash of a phone
or a Facebook id would be. The key lives in the environment; in development, when it is unset,
a random key is created once under var/ (never committed) so references stay stable.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
from pathlib import Path

log = logging.getLogger(__name__)

REF_LENGTH = 32  # hex characters: 128 bits, plenty against collisions among millions of users


def user_ref(key: bytes, channel: str, page_id: str, platform_id: str) -> str:
    message = f"{channel}:{page_id}:{platform_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:REF_LENGTH]


def rasa_sender_id(channel: str, ref: str) -> str:
    """The conversation id Rasa keeps a pseudonymous user's tracker under."""
    return f"{channel}:{ref}"


def resolve_pseudonym_key(configured: str, var_dir: Path) -> bytes:
    return resolve_secret(configured, var_dir, "pseudonym.key", "PSEUDONYM_KEY")


def resolve_secret(configured: str, var_dir: Path, filename: str, setting: str) -> bytes:
    """The configured secret, or a development one created once under var/."""
    if configured:
        return configured.encode()
    path = var_dir / filename
    if path.exists():
        return path.read_text().strip().encode()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Created with owner-only permissions: the key de-pseudonymises nothing by itself, but it
    # must not leak alongside the database.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    log.warning("%s is unset: generated a development key in %s", setting, path)
    return key.encode()


# -- masking ---------------------------------------------------------------------------------
# Applied to every message text before it is stored. Order matters: e-mails first, then the
# longest digit runs (cards/accounts, 12-digit ID numbers) before phone numbers and codes.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\d])(?:\+?84|0)(?:[\s.\-]?\d){9}(?![\d])")
_ID12 = re.compile(r"(?<![\d])\d{12}(?![\d])")
_LONG_NUMBER = re.compile(r"(?<![\d])\d(?:[\s.\-]?\d){7,18}(?![\d])")
_CODE = re.compile(
    r"(?i)(\b(?:otp|m[aã]|ma|code|pin|cvv|mật khẩu|mat khau|mk|pass)\b\D{0,12}?)(\d{3,8})(?![\d])"
)


def mask_text(text: str) -> str:
    """Mask e-mails, phone numbers, 12-digit ID numbers, bank/card numbers and OTP-like codes."""
    text = _EMAIL.sub("[email]", text)
    text = _ID12.sub("[số định danh]", text)
    text = _PHONE.sub("[số điện thoại]", text)
    text = _LONG_NUMBER.sub("[số tài khoản]", text)
    return _CODE.sub(lambda m: f"{m.group(1)}[mã]", text)
