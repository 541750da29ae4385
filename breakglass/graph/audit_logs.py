"""Audit-log reads: sign-ins of the emergency accounts and directory audits about them.

Both are kept as the raw JSON Graph returned: the typed SDK models drop fields and enum
values they do not know and cost ~10 ms per entity to parse. Requests still go through the
SDK's pipeline (auth, retry, error mapping) and the one pager of ``GraphSession``.

``signins`` is v1.0 (interactive sign-ins); ``signins_beta`` is the beta endpoint filtered to
non-interactive sign-ins, whose extra fields v1.0 does not know.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from breakglass._canonical import canonical_json
from breakglass._time import graph_time, parse_graph_time

if TYPE_CHECKING:
    from breakglass.config import Settings
    from breakglass.graph.session import GraphSession

__all__ = [
    "STREAMS",
    "SignInStream",
    "fetch_directory_audits",
    "fetch_directory_audits_async",
    "fetch_sign_ins",
]

#: Graph caps a ``$filter`` at a modest number of clauses; 15 ``or`` terms stays well inside.
ID_CHUNK = 15
PERMISSION = "AuditLog.Read.All"


@dataclass(frozen=True)
class SignInStream:
    name: str
    version: str
    extra_filter: str | None


STREAMS = {
    "signins": SignInStream("signins", "v1.0", None),
    "signins_beta": SignInStream(
        "signins_beta", "beta", "signInEventTypes/any(t: t eq 'nonInteractiveUser')"
    ),
}


def _sign_in_filters(
    stream: SignInStream, ids: list[str], start: datetime, end: datetime
) -> list[str]:
    out = []
    for i in range(0, len(ids), ID_CHUNK):
        chunk = ids[i : i + ID_CHUNK]
        users = " or ".join(f"userId eq '{oid}'" for oid in chunk)
        if len(chunk) > 1:
            users = f"({users})"
        clause = (
            f"{users} and createdDateTime ge {graph_time(start)}"
            f" and createdDateTime le {graph_time(end, round_up=True)}"
        )
        if stream.extra_filter:
            clause += f" and {stream.extra_filter}"
        out.append(clause)
    return out


async def fetch_sign_ins(
    gs: GraphSession, stream: SignInStream, ids: list[str], start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Raw sign-ins of ``ids`` created in ``[start, end]`` on ``stream``."""
    rows: list[dict[str, Any]] = []
    what = f"sign-in logs ({stream.name})"
    for flt in _sign_in_filters(stream, ids, start, end):
        url = gs.url("/auditLogs/signIns", {"$filter": flt, "$top": "1000"}, stream.version)
        rows += await gs.get_all_raw(url, what=what, permission=PERMISSION)
    for index, row in enumerate(rows):
        problem = _unusable_sign_in(row)
        if problem:
            # Dropping it would drop an emergency sign-in unseen: the read fails instead,
            # so the watermark stays and the monitor reports itself blind (DESIGN §2, §8).
            from breakglass.errors import GraphPayloadError

            ident = row.get("id") if isinstance(row, dict) else None
            named = isinstance(ident, str) and ident.strip()
            name = f"sign-in {str(ident)[:64]}" if named else f"sign-in #{index + 1}"
            raise GraphPayloadError(
                f"Graph returned {what} that breakglass cannot read: {name} {problem}", what=what
            )
    return rows


def _unusable_sign_in(row: Any) -> str | None:
    """Why a sign-in row cannot be stored and alerted on (no id, time or user), or None."""
    if not isinstance(row, dict):
        return "is not a JSON object"
    ident = row.get("id")
    if not isinstance(ident, str) or not ident.strip():
        return "has no id (a string)"
    if parse_graph_time(row.get("createdDateTime")) is None:
        return "has no readable createdDateTime"
    if not isinstance(row.get("userId"), str) or not row["userId"]:
        return "has no userId (a string)"
    return None


def _audit_sort_key(item: dict[str, Any]) -> tuple[str, str]:
    moment = parse_graph_time(item.get("activityDateTime"))
    return (moment.isoformat() if moment else "", str(item.get("id", "")))


async def fetch_directory_audits_async(
    gs: GraphSession, account_id: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Directory audits initiated by or targeting ``account_id`` in ``[start, end]``,
    merged on id and ordered by time and id."""
    span = (
        f"activityDateTime ge {graph_time(start)} and "
        f"activityDateTime le {graph_time(end, round_up=True)}"
    )
    filters = [
        f"initiatedBy/user/id eq '{account_id}' and {span}",
        f"targetResources/any(t: t/id eq '{account_id}') and {span}",
    ]
    pages = await asyncio.gather(
        *(
            gs.get_all_raw(
                gs.url("/auditLogs/directoryAudits", {"$filter": flt, "$top": "1000"}),
                what="directory audit logs",
                permission=PERMISSION,
            )
            for flt in filters
        )
    )
    merged: dict[str, dict[str, Any]] = {}
    for page in pages:
        for item in page:
            merged.setdefault(str(item.get("id") or canonical_json(item).decode()), item)
    return sorted(merged.values(), key=_audit_sort_key)


def fetch_directory_audits(
    settings: Settings, account_id: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """``fetch_directory_audits_async`` in its own Graph session and event loop."""
    from breakglass.graph.session import GraphSession

    async def run() -> list[dict[str, Any]]:
        gs = GraphSession(settings)
        try:
            return await fetch_directory_audits_async(gs, account_id, start, end)
        finally:
            await gs.aclose()

    return asyncio.run(run())
