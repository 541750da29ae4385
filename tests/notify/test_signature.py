"""HMAC-SHA256 webhook signatures: what is signed, and verification."""

from __future__ import annotations

import hashlib
import hmac

from breakglass.notify import sign_webhook, verify_webhook_signature

BODY = b'{"event_type":"signin","subject":"x"}'
NOW = 1_740_000_000


def test_signs_timestamp_dot_body() -> None:
    """The signature is HMAC-SHA256 over the timestamp, a dot, and the exact body bytes."""
    expected = hmac.new(b"k3y", f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign_webhook("k3y", str(NOW), BODY) == f"sha256={expected}"


def test_verify_accepts_a_fresh_valid_signature() -> None:
    """A receiver accepts a correct signature within the tolerance window."""
    header = sign_webhook("k3y", str(NOW), BODY)
    assert verify_webhook_signature("k3y", str(NOW), BODY, header, now=NOW + 60)
    assert verify_webhook_signature(b"k3y", str(NOW), BODY, header, now=NOW + 60)


def test_verify_rejects_tampering_wrong_key_and_replay() -> None:
    """Changed body, changed timestamp, wrong key, stale timestamp or junk header fail."""
    header = sign_webhook("k3y", str(NOW), BODY)
    assert not verify_webhook_signature("k3y", str(NOW), BODY + b" ", header, now=NOW)
    assert not verify_webhook_signature("k3y", str(NOW + 1), BODY, header, now=NOW)
    assert not verify_webhook_signature("other", str(NOW), BODY, header, now=NOW)
    assert not verify_webhook_signature("k3y", str(NOW), BODY, header, now=NOW + 301)
    assert not verify_webhook_signature("k3y", str(NOW), BODY, header[7:], now=NOW)
    assert not verify_webhook_signature("k3y", "-1", BODY, header, now=NOW)
    assert verify_webhook_signature(
        "k3y", str(NOW), BODY, header, now=NOW + 10_000, tolerance_seconds=None
    )
