"""Recognise text that looks like a secret before it can reach a printed document.

Runbooks refuse such text; review reports withhold it from the page. A runbook sits in a
safe next to the keys, gets photocopied and photographed; a PIN, a safe combination or a
token printed in it defeats split knowledge. The patterns are deliberately broad (a false
alarm costs an edit of the YAML; a leak costs the tenant).
"""

from __future__ import annotations

import re

__all__ = ["looks_like_secret"]

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a private key", re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")),
    ("a JSON Web Token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.")),
    # Entra client secrets look like "abc8Q~…" (3 chars, digit, "Q~", 31–34 chars).
    ("an Entra client secret", re.compile(r"[A-Za-z0-9_.~-]{3}\dQ~[A-Za-z0-9_.~-]{31,34}")),
    (
        "a PIN, password or combination with its value",
        re.compile(
            r"(?i)\b(pin|password|passwd|passphrase|passcode|secret|combination|"
            r"recovery code|otp)\b\s*(?:is|:|=)\s*(?=[^\s,;]*\d)[^\s,;]{3,}"
        ),
    ),
    # Long runs of base64/hex-like characters with letters and digits mixed: keys, tokens.
    # GUIDs and URLs do not match (hyphens and slashes split them into short runs).
    (
        "a long random-looking string (key or token)",
        re.compile(
            r"(?<![A-Za-z0-9+=_])(?=[A-Za-z0-9+=_]*\d)(?=[A-Za-z0-9+=_]*[A-Za-z])"
            r"[A-Za-z0-9+=_]{32,}"
        ),
    ),
)


def looks_like_secret(text: str) -> str | None:
    """What kind of secret ``text`` seems to contain, or None when it looks harmless."""
    for what, pattern in _PATTERNS:
        if pattern.search(text):
            return what
    return None
