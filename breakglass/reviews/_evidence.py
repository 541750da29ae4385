"""Evidence for a review: directory audits by and about the account during its session.

Both queries run over ``[window_start - 5 min, session close]`` where the session closes
``session_gap_hours`` after its last sign-in (or now, if that is still ahead). Audits are
kept as the raw JSON Graph returned, whatever its shape (``"Type"`` with a capital T,
empty strings), ordered by time and id, and hashed over their canonical JSON.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime, timedelta
from typing import Any

from breakglass.audit import canonical_json
from breakglass.config import Settings
from breakglass.watcher._ingest import parse_graph_time
from breakglass.watcher._raw import get_raw_collection, odata_time

__all__ = ["LEAD", "evidence_hash", "evidence_window", "fetch_evidence"]

#: Evidence starts this long before the first sign-in (preparation, token issuance).
LEAD = timedelta(minutes=5)
PERMISSION = "AuditLog.Read.All"


def evidence_window(
    settings: Settings, window_start: datetime, window_end: datetime, now: datetime
) -> tuple[datetime, datetime]:
    close = window_end + timedelta(hours=settings.thresholds.session_gap_hours)
    return window_start - LEAD, min(close, now)


def evidence_hash(evidence: list[Any]) -> str:
    return hashlib.sha256(canonical_json(evidence).encode("utf-8")).hexdigest()


def _sort_key(item: dict[str, Any]) -> tuple[str, str]:
    moment = parse_graph_time(item.get("activityDateTime"))
    return (moment.isoformat() if moment else "", str(item.get("id", "")))


async def _fetch(settings: Settings, account_id: str, start: datetime, end: datetime) -> list[Any]:
    from breakglass.graph._session import GraphSession

    span = f"activityDateTime ge {odata_time(start)} and activityDateTime le {odata_time(end, round_up=True)}"
    filters = [
        f"initiatedBy/user/id eq '{account_id}' and {span}",
        f"targetResources/any(t: t/id eq '{account_id}') and {span}",
    ]
    gs = GraphSession(settings)
    try:
        builder = gs.client.audit_logs.directory_audits
        pages = await asyncio.gather(
            *(
                get_raw_collection(
                    gs,
                    builder,
                    gs.url("/auditLogs/directoryAudits", {"$filter": flt, "$top": "1000"}),
                    what="directory audit logs",
                    permission=PERMISSION,
                )
                for flt in filters
            )
        )
    finally:
        await gs.aclose()
    merged: dict[str, dict[str, Any]] = {}
    for page in pages:
        for item in page:
            merged.setdefault(str(item.get("id") or canonical_json(item)), item)
    return sorted(merged.values(), key=_sort_key)


def fetch_evidence(
    settings: Settings, account_id: str, start: datetime, end: datetime
) -> list[Any]:
    """Directory audits initiated by or targeting ``account_id`` in ``[start, end]``."""
    return asyncio.run(_fetch(settings, account_id, start, end))
