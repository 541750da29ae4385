"""HMAC-SHA256 signatures for the generic JSON webhook, and their verification.

What is signed, exactly: the ASCII bytes of the ``X-Breakglass-Timestamp`` header value
(Unix seconds, decimal), one ``.`` byte, then the request body bytes as sent::

    signed = timestamp.encode("ascii") + b"." + body
    X-Breakglass-Signature: sha256=<hex(HMAC-SHA256(key=secret, msg=signed))>

Binding the timestamp into the signed material lets a receiver refuse replays older than
a few minutes; binding the exact body bytes means a receiver must verify *before* parsing
or re-serialising the JSON. Receivers use ``verify_webhook_signature``.
"""

from __future__ import annotations

import hashlib
import hmac
import time

__all__ = [
    "DEFAULT_TOLERANCE_SECONDS",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "sign_webhook",
    "verify_webhook_signature",
]

SIGNATURE_HEADER = "X-Breakglass-Signature"
TIMESTAMP_HEADER = "X-Breakglass-Timestamp"
DEFAULT_TOLERANCE_SECONDS = 300
_PREFIX = "sha256="


def _key(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def _digest(secret: str | bytes, timestamp: str, body: bytes) -> str:
    signed = timestamp.encode("ascii") + b"." + body
    return hmac.new(_key(secret), signed, hashlib.sha256).hexdigest()


def sign_webhook(secret: str | bytes, timestamp: str, body: bytes) -> str:
    """The ``X-Breakglass-Signature`` header value for ``body`` sent at ``timestamp``."""
    return _PREFIX + _digest(secret, timestamp, body)


def verify_webhook_signature(
    secret: str | bytes,
    timestamp: str,
    body: bytes,
    header: str,
    *,
    tolerance_seconds: float | None = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True when ``header`` signs ``timestamp`` + ``body`` and the timestamp is fresh.

    ``timestamp`` and ``header`` are the raw ``X-Breakglass-Timestamp`` and
    ``X-Breakglass-Signature`` values; ``body`` the raw request bytes. Pass
    ``tolerance_seconds=None`` to skip the freshness check (e.g. when replaying a log).
    """
    if not header.startswith(_PREFIX) or not timestamp.isascii() or not timestamp.isdigit():
        return False
    if tolerance_seconds is not None:
        current = time.time() if now is None else now
        if abs(current - int(timestamp)) > tolerance_seconds:
            return False
    expected = _digest(secret, timestamp, body)
    return hmac.compare_digest(expected, header[len(_PREFIX) :].strip().lower())
