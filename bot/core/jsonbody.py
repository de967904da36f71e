"""Reading untrusted JSON: malformed text, nesting deep enough to exhaust the parser's recursion
and strings that no database can store (lone surrogates) are the sender's error, never a 500."""

from __future__ import annotations

import json
import re
from typing import Any

# A UTF-16 surrogate on its own cannot be encoded as UTF-8 (PostgreSQL and SQLite refuse it);
# PostgreSQL text cannot hold NUL either.
_UNSTORABLE = re.compile("[\ud800-\udfff\x00]")


class BadJson(ValueError):
    """The body is not a JSON object we can read."""


def clean_text(text: str) -> str:
    """`text` with lone surrogates and NUL replaced by U+FFFD, so it can be stored and sent."""
    return _UNSTORABLE.sub("\ufffd", text)


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    if isinstance(value, dict):
        return {clean_text(k): _cleaned(v) for k, v in value.items()}
    return value


def loads_object(raw: bytes | str) -> dict[str, Any]:
    """The body as a JSON object with storable strings, or BadJson."""
    try:
        body = _cleaned(json.loads(raw))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BadJson("body is not JSON") from exc
    if not isinstance(body, dict):
        raise BadJson("body is not a JSON object")
    return body
