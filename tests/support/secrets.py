"""Find configured secrets in text a person or an attacker could read (logs, pages, API
answers, a database dump).

``leaked(text, secrets)`` looks for each secret as written and in the encodings it would
take on the way out: percent-encoded (a URL or a query string), ``+`` for spaces (a form),
JSON-escaped (a log line or an API body) and base64 (a Basic ``Authorization`` header, a
JSON column holding bytes). It returns what it found without repeating the secret: the
names when ``secrets`` is a mapping ``{name: secret}``, otherwise a masked form of each
(its first three characters and its length), so an assertion message never prints one.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus

__all__ = ["MIN_SECRET", "leaked", "masked", "variants"]

#: Shorter strings are refused: they would be found by chance in any large text.
MIN_SECRET = 8


def masked(secret: str) -> str:
    """``abc…(24 chars)``: enough to tell secrets apart, not enough to use one."""
    return f"{secret[:3]}…({len(secret)} chars)"


def variants(secret: str) -> set[str]:
    """The forms ``secret`` takes in URLs, forms, JSON and base64 (each long enough to
    search for)."""
    if len(secret) < MIN_SECRET:
        raise ValueError(f"a secret of {len(secret)} characters is too short to search for")
    forms = {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}
    raw = secret.encode()
    # base64 of the secret at each of the three byte alignments it can start at inside a
    # longer value; the characters that depend on its neighbours are cut off.
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode()
        start = {0: 0, 1: 2, 2: 3}[shift]
        usable = (len(raw) + shift) // 3 * 4
        core = encoded[start:usable]
        if len(core) >= MIN_SECRET:
            forms.add(core)
    return {f for f in forms if len(f) >= MIN_SECRET}


def leaked(text: str, secrets: Mapping[str, str] | Iterable[str]) -> list[str]:
    """What of ``secrets`` occurs in ``text`` (see the module docstring), in the given order."""
    named = list(secrets.items()) if isinstance(secrets, Mapping) else [(None, s) for s in secrets]
    found = []
    for name, secret in named:
        if any(form in text for form in variants(secret)):
            found.append(name if name is not None else masked(secret))
    return found
