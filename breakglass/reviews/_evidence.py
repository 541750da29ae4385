"""Evidence for a review: directory audits by and about the account during its session.

Both queries (``breakglass.graph.audit_logs``) run over ``[window_start - 5 min, session
close]`` where the session closes ``session_gap_hours`` after its last sign-in (or now, if
that is still ahead). Audits are kept as the raw JSON Graph returned, whatever its shape,
ordered by time and id, and hashed over their canonical JSON.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from breakglass._canonical import canonical_json, sha256_hex
from breakglass.config import Settings

__all__ = ["LEAD", "evidence_hash", "evidence_window"]

#: Evidence starts this long before the first sign-in (preparation, token issuance).
LEAD = timedelta(minutes=5)


def evidence_window(
    settings: Settings, window_start: datetime, window_end: datetime, now: datetime
) -> tuple[datetime, datetime]:
    close = window_end + timedelta(hours=settings.thresholds.session_gap_hours)
    return window_start - LEAD, min(close, now)


def evidence_hash(evidence: list[Any]) -> str:
    return sha256_hex(canonical_json(evidence))
