"""Messenger webhook signatures, shared by the verifier and by the signers used in
`python -m bot simulate` and the tests (so a test can never sign differently from production).
"""

from __future__ import annotations

import hashlib
import hmac

# HMAC-SHA256 over the raw body; the legacy SHA-1 header is not accepted.
SIGNATURE_HEADER = "X-Hub-Signature-256"


def facebook_signature(app_secret: str, raw: bytes) -> str:
    """`X-Hub-Signature-256` value: "sha256=" + HMAC-SHA256(app secret, raw body)."""
    digest = hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_facebook(app_secret: str, raw: bytes, header: str | None) -> bool:
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    expected = facebook_signature(app_secret, raw)
    return hmac.compare_digest(expected.encode(), header.strip().encode("ascii", "replace"))
