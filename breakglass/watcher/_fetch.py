"""Server-side filtered sign-in queries for the declared accounts, per stream.

``signins`` is v1.0 (interactive sign-ins); ``signins_beta`` is the beta endpoint filtered
to non-interactive sign-ins, whose extra fields v1.0 does not know.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from breakglass.graph._session import GraphSession
from breakglass.watcher._raw import get_raw_collection, odata_time

__all__ = ["STREAMS", "Stream", "fetch_sign_ins"]

#: Graph caps a ``$filter`` at a modest number of clauses; 15 ``or`` terms stays well inside.
ID_CHUNK = 15
PERMISSION = "AuditLog.Read.All"


@dataclass(frozen=True)
class Stream:
    name: str
    version: str
    extra_filter: str | None


STREAMS = {
    "signins": Stream("signins", "v1.0", None),
    "signins_beta": Stream(
        "signins_beta", "beta", "signInEventTypes/any(t: t eq 'nonInteractiveUser')"
    ),
}


def _filters(stream: Stream, ids: list[str], start: datetime, end: datetime) -> list[str]:
    out = []
    for i in range(0, len(ids), ID_CHUNK):
        chunk = ids[i : i + ID_CHUNK]
        users = " or ".join(f"userId eq '{oid}'" for oid in chunk)
        if len(chunk) > 1:
            users = f"({users})"
        clause = (
            f"{users} and createdDateTime ge {odata_time(start)}"
            f" and createdDateTime le {odata_time(end, round_up=True)}"
        )
        if stream.extra_filter:
            clause += f" and {stream.extra_filter}"
        out.append(clause)
    return out


async def fetch_sign_ins(
    gs: GraphSession, stream: Stream, ids: list[str], start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Raw sign-ins of ``ids`` created in ``[start, end]`` on ``stream``."""
    builder = gs.client.audit_logs.sign_ins
    rows: list[dict[str, Any]] = []
    for flt in _filters(stream, ids, start, end):
        url = gs.url("/auditLogs/signIns", {"$filter": flt, "$top": "1000"}, stream.version)
        rows += await get_raw_collection(
            gs, builder, url, what=f"sign-in logs ({stream.name})", permission=PERMISSION
        )
    return rows
