"""Zalo OA webhook signatures, shared by the verifier and by the signers used in
`python -m bot simulate` and the tests (so a test can never sign differently from production).
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-ZEvent-Signature"


def zalo_signature(app_id: str, raw: bytes, timestamp: str, oa_secret_key: str) -> str:
    """`X-ZEvent-Signature` value: "mac=" + SHA-256(app_id + raw body + timestamp + OA secret).

    Plain SHA-256 of the concatenation (not an HMAC), as Zalo documents it; the timestamp is the
    `timestamp` field of the body itself.
    """
    digest = hashlib.sha256(
        app_id.encode() + raw + timestamp.encode() + oa_secret_key.encode()
    ).hexdigest()
    return f"mac={digest}"


def verify_zalo(
    app_id: str, oa_secret_key: str, raw: bytes, timestamp: str, header: str | None
) -> bool:
    if not app_id or not oa_secret_key or not header or not header.startswith("mac="):
        return False
    expected = zalo_signature(app_id, raw, timestamp, oa_secret_key)
    return hmac.compare_digest(expected.encode(), header.strip().encode("ascii", "replace"))
