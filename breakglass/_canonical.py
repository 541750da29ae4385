"""The one canonical JSON: the exact bytes that are hashed and signed.

Sorted keys, no whitespace, UTF-8, no NaN or Infinity. Values JSON cannot hold (a
``datetime`` in an audit entry's data) are written as ``str(value)``, which is what every
stored audit hash was computed over, so this must not change.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["canonical_json", "sha256_hex"]


def canonical_json(value: Any) -> bytes:
    """``value`` as canonical JSON bytes."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=str,
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()
