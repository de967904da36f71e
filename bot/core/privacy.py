"""Pseudonymous user references.

`user_ref = HMAC-SHA256(PSEUDONYM_KEY, "channel:page_or_oa:platform_id")`: stable for one person
on one page, not reversible without the key, and not enumerable the way a plain hash of a phone
or a Facebook id would be. The key lives in the environment; in development, when it is unset,
a random key is created once under var/ (never committed) so references stay stable.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.core.jsonbody import BadJson, clean_text, loads_object

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
    # Written whole under another name, then linked into place: another worker creating it at
    # the same moment reads a complete key, never an empty file. Owner-only: the key must not
    # leak alongside the database.
    draft = var_dir / f".{filename}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    try:
        os.link(draft, path)
    except FileExistsError:
        return path.read_text().strip().encode()
    finally:
        draft.unlink()
    log.warning("%s is unset: generated a development key in %s", setting, path)
    return key.encode()


# -- masking ---------------------------------------------------------------------------------
# Applied to every message text before it is stored. Order matters: invisible characters go
# first (they would split a number), then secrets, e-mails, passports, the longest digit runs
# (12-digit ID numbers) before phone numbers, bank/card numbers and codes.
EMAIL_TAG = "[email]"
ID_TAG = "[số định danh]"
PHONE_TAG = "[số điện thoại]"
ACCOUNT_TAG = "[số tài khoản]"
CODE_TAG = "[mã]"
PASSPORT_TAG = "[số hộ chiếu]"
SECRET_TAG = "[mật khẩu]"  # noqa: S105 (a tag, not a password)
USER_ID_TAG = "[mã người dùng]"
NAME_TAG = "[tên]"

# Zero-width and formatting characters show nothing but would split "0912\u200b345678" in two.
_INVISIBLE = re.compile(
    "[\u00ad\u180e\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
# The zero-width joiner also builds emoji sequences: removed only next to a letter or digit.
_JOINER = re.compile(r"(?<=[0-9A-Za-z])\u200d|\u200d(?=[0-9A-Za-z])")
_DIGIT_OR_AT = re.compile(r"[\d@]")
# Bounded repeats: unbounded ones made "a.a.a....@" cost the square of its length.
_EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
_PASSPORT = re.compile(r"(?<!\w)[A-Za-z]\d{7,8}(?!\w)")
_PHONE = re.compile(r"(?<![\d+])(?:\(\+?84\)|\+?84|0)(?:[\s.\-]?\d){9}(?![\d])")
_ID12 = re.compile(r"(?<![\d])\d{12}(?![\d])")
_LONG_NUMBER = re.compile(r"(?<![\d])\d(?:[\s.\-]?\d){7,18}(?![\d])")
_CODE = re.compile(
    r"(?i)(\b(?:otp|m[aã]|ma|code|pin|cvv|mật khẩu|mat khau|mk|pass)\b\D{0,12}?)"
    r"(\d(?:[ .\-]?\d){2,7})(?![ .\-]?\d)"
)
# A bank's own wording puts the code further from its keyword ("Mã xác thực giao dịch của bạn
# là 482913"): strong keywords reach across the sentence.
_CODE_FAR = re.compile(
    r"(?i)(\b(?:otp|code|passcode|mã xác thực|ma xac thuc|mã xác nhận|ma xac nhan|mã giao dịch|"
    r"ma giao dich)\b[^.!?\n\d]{0,40}?)(\d(?:[ .\-]?\d){3,7})(?![ .\-]?\d)"
)
# Numbers that look long but identify nobody: amounts of money and dates.
_MONEY = re.compile(r"\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*")
_CURRENCY = re.compile(r"(?i)\s*(?:đồng|đ|vnđ|vnd|dong|nghìn|ngàn|triệu|tỷ|tỉ)(?!\w)")
_DATE = re.compile(
    r"\d{1,2}([./\-])\d{1,2}\1\d{4}|\d{4}-\d{1,2}-\d{1,2}"
    r"|(?:19|20)\d\d(?:\s?-\s?|\s)(?:19|20)\d\d"  # a period: "giai đoạn 2021-2025"
)
# A password: the word after "mật khẩu:" / "password=", or the first secret-looking word (a
# letter with a digit or a symbol) among the next few after "mật khẩu (là)" / "pass".
_SECRET_WORD = re.compile(r"(?i)\b(?:mật khẩu|mat khau|password|passwd|pwd|pass)\b")
_SECRET_GAP_WORDS = 4
_EXPLICIT = re.compile(r"\s*(?:là|la)?\s*[:=]\s*")
_WORD = re.compile(r"\S+")
_TRAILING = ".,!?;)"


def _keep_or(tag: str) -> Callable[[re.Match[str]], str]:
    """A substitution that leaves money amounts and dates as they are."""

    def replace(match: re.Match[str]) -> str:
        found = match.group(0)
        if _DATE.fullmatch(found):
            return found
        if _MONEY.fullmatch(found) and _CURRENCY.match(match.string, match.end()):
            return found
        return tag

    return replace


def _looks_secret(word: str) -> bool:
    letters = any(c.isalpha() for c in word)
    others = any(c.isdigit() or not c.isalnum() for c in word)
    return len(word) >= 4 and letters and others and word[0].isalnum()


def _mask_secrets(text: str) -> str:
    parts: list[str] = []
    done = 0
    for keyword in _SECRET_WORD.finditer(text):
        if keyword.start() < done:
            continue
        found = _secret_after(text, keyword.end())
        if found is not None:
            parts += [text[done : found[0]], SECRET_TAG]
            done = found[1]
    return "".join(parts) + text[done:]


def _secret_after(text: str, at: int) -> tuple[int, int] | None:
    """Where the secret after a password keyword ending at `at` lies, if there is one."""
    explicit = _EXPLICIT.match(text, at)
    if explicit:
        at = explicit.end()
    elif not text[at : at + 1].isspace():
        return None  # "mật khẩu"/khôi phục: the keyword is part of something else
    for index, word in enumerate(_WORD.finditer(text[at : at + 200])):
        core = word.group(0).rstrip(_TRAILING)
        if index > _SECRET_GAP_WORDS or not core:
            return None
        if explicit or _looks_secret(core):
            return at + word.start(), at + word.start() + len(core)
        if any(c.isdigit() for c in core):
            return None  # digits alone are a code (_CODE), and end the search
    return None


def mask_text(text: str) -> str:
    """Mask e-mails, phone numbers, ID, passport and bank/card numbers, OTP-like codes and
    passwords."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        text = _JOINER.sub("", _INVISIBLE.sub("", text))
    if not _DIGIT_OR_AT.search(text) and not _SECRET_WORD.search(text):
        return text  # most texts: nothing below could match (every pattern needs one of these)
    text = _mask_secrets(text)
    if "@" in text:
        text = _EMAIL.sub(EMAIL_TAG, text)
    digits = sum(c.isdigit() for c in text)
    # Each pattern needs this many digits at least: most replies skip the costly scans.
    if digits >= 7:
        text = _PASSPORT.sub(PASSPORT_TAG, text)
        text = _ID12.sub(ID_TAG, text)
        text = _PHONE.sub(_keep_or(PHONE_TAG), text)
        text = _LONG_NUMBER.sub(_keep_or(ACCOUNT_TAG), text)
    if digits < 3:
        return text
    return _CODE.sub(_code, _CODE_FAR.sub(_code, text))


def _code(match: re.Match[str]) -> str:
    digits = match.group(2)
    if _DATE.fullmatch(digits) or (
        _MONEY.fullmatch(digits) and _CURRENCY.match(match.string, match.end())
    ):
        return match.group(0)
    return f"{match.group(1)}{CODE_TAG}"


# -- platform bodies -------------------------------------------------------------------------
# A stored platform body (a dead letter, a sent reply) keeps what diagnoses and replays it:
# timestamps, message ids, event names, the page's or OA's ids; its texts are masked and the
# people in it (raw platform user ids, names) are replaced, as nowhere but `recipients` keeps
# a raw id.
_KEEP_KEYS = frozenset(
    {
        "timestamp", "time", "mid", "mids", "msg_id", "message_id", "event_name", "object",
        "app_id", "oa_id", "watermark", "seq", "messaging_type", "tag", "type",
        "template_type", "notification_type",
    }
)  # fmt: skip
_PERSON_KEYS = frozenset({"sender", "recipient", "follower", "user"})
_USER_ID_KEYS = frozenset({"user_id_by_app", "user_id", "psid"})
_NAME_KEYS = frozenset({"name", "display_name", "first_name", "last_name", "full_name"})


def mask_body(body: str) -> str:
    """A platform JSON body with its personal content masked (see above); a body that is not
    a JSON object is masked as text."""
    try:
        value = loads_object(body)
        masked = _mask_value(value, "")
    except (BadJson, RecursionError):
        return mask_text(clean_text(body))
    return json.dumps(masked, ensure_ascii=False, separators=(",", ":"))


def _mask_value(value: Any, key: str) -> Any:
    if isinstance(value, dict):
        return {_mask_key(k): _mask_field(v, k, key) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_value(item, key) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    text = str(value)
    if key in _KEEP_KEYS:
        return value
    if key in _USER_ID_KEYS:
        return USER_ID_TAG
    if key in _NAME_KEYS:
        return NAME_TAG
    masked = mask_text(text)
    return value if masked == text and not isinstance(value, str) else masked


def _mask_key(key: str) -> str:
    return key if key.isascii() and key.isidentifier() else mask_text(key)


def _mask_field(value: Any, key: str, parent: str) -> Any:
    if key == "id" and parent in _PERSON_KEYS and not isinstance(value, dict | list):
        return USER_ID_TAG
    if key == "id" and parent == "entry":
        return value  # the page the webhook was for
    return _mask_value(value, key)
