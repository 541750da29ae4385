"""Evidence for a review: directory audits by and about the account during its session.

The evidence window is ``[first sign-in - 5 min, session close]`` where the session closes
``session_gap_hours`` after its last sign-in; until then it ends at the time of the read.
The poll gathers the evidence when a review opens and refreshes it on each poll while the
review is open and its stored window does not yet reach the session close (the Graph
reads happen before the poll's transaction: ``AuditRead``); submission gathers it a last
time and freezes it. Audits are kept as the raw JSON Graph returned, whatever its shape,
ordered by time and id, hashed over their canonical JSON, and stored with the exact
window they cover (``evidence_start``, ``evidence_end``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from breakglass import audit
from breakglass._canonical import canonical_json, sha256_hex
from breakglass._time import parse_graph_time
from breakglass.config import Settings
from breakglass.store.tables import ReviewRow

__all__ = [
    "LEAD",
    "AuditRead",
    "audit_summary",
    "changes_of",
    "evidence_hash",
    "evidence_window",
    "evidence_window_json",
    "needs_evidence",
    "refresh_open_reviews",
    "session_close",
    "set_evidence",
]

#: Evidence starts this long before the first sign-in (preparation, token issuance).
LEAD = timedelta(minutes=5)


def session_close(settings: Settings, window_end: datetime) -> datetime:
    """When the session of a review whose last sign-in is ``window_end`` closes."""
    return window_end + timedelta(hours=settings.thresholds.session_gap_hours)


def evidence_window(
    settings: Settings, window_start: datetime, window_end: datetime, now: datetime
) -> tuple[datetime, datetime]:
    return window_start - LEAD, min(session_close(settings, window_end), now)


def evidence_hash(evidence: list[Any]) -> str:
    return sha256_hex(canonical_json(evidence))


def needs_evidence(settings: Settings, review: ReviewRow, now: datetime) -> bool:
    """Whether the poll should (re)gather this review's evidence at ``now``."""
    if review.state != "open" or review.evidence_frozen_at is not None:
        return False
    start, end = evidence_window(settings, review.window_start, review.window_end, now)
    return (
        review.evidence_start is None
        or review.evidence_end is None
        or review.evidence_start > start
        or review.evidence_end < end
    )


@dataclass(frozen=True)
class AuditRead:
    """The directory audits of one account read over ``[start, end]``, or why not."""

    account_id: str
    start: datetime
    end: datetime
    audits: list[dict[str, Any]] | None
    error: str | None = None

    def within(self, start: datetime, end: datetime) -> list[dict[str, Any]] | None:
        """The audits in ``[start, end]``; None unless this read covers that window."""
        if self.audits is None or start < self.start or end > self.end:
            return None
        return [a for a in self.audits if _inside(a, start, end)]


def _inside(item: dict[str, Any], start: datetime, end: datetime) -> bool:
    moment = parse_graph_time(item.get("activityDateTime"))
    # An audit whose time cannot be read was still returned for this window: keep it.
    return moment is None or start <= moment <= end


def set_evidence(
    session: Session,
    settings: Settings,
    review: ReviewRow,
    evidence: list[Any],
    window: tuple[datetime, datetime],
    *,
    actor: str,
    now: datetime,
    record: bool = True,
) -> dict[str, Any]:
    """Store ``evidence`` over ``window`` on ``review``; an audit entry when it changed
    (unless ``record`` is false: the caller records the returned data itself)."""
    digest = evidence_hash(evidence)
    changed = digest != review.evidence_sha256
    review.evidence = evidence
    review.evidence_sha256 = digest
    review.evidence_start, review.evidence_end = window
    data = {
        "evidence_count": len(evidence),
        "evidence_sha256": digest,
        "evidence_window": evidence_window_json(review),
        "at": now.isoformat(),
    }
    if changed and record:
        audit.append(
            session,
            tenant_id=settings.tenant.id,
            actor=actor,
            action="review.evidence",
            data={"review_id": review.id, **data},
            at=now,
        )
    return data


def apply_read(
    session: Session,
    settings: Settings,
    review: ReviewRow,
    read: AuditRead | None,
    *,
    actor: str,
    now: datetime,
    record: bool = True,
) -> dict[str, Any] | None:
    """Refresh ``review``'s evidence from ``read`` when due and covered; what was stored."""
    if read is None or not needs_evidence(settings, review, read.end):
        return None
    window = evidence_window(settings, review.window_start, review.window_end, read.end)
    evidence = read.within(*window)
    if evidence is None:
        return None
    return set_evidence(
        session, settings, review, evidence, window, actor=actor, now=now, record=record
    )


def refresh_open_reviews(
    session: Session,
    settings: Settings,
    reads: dict[str, AuditRead],
    *,
    actor: str,
    now: datetime,
) -> list[int]:
    """Refresh every open review of the accounts in ``reads`` that is due; their ids."""
    if not reads:
        return []
    rows = session.scalars(
        select(ReviewRow)
        .where(
            ReviewRow.tenant_id == settings.tenant.id,
            ReviewRow.state == "open",
            ReviewRow.evidence_frozen_at.is_(None),
            ReviewRow.account_id.in_(list(reads)),
        )
        .order_by(ReviewRow.id)
    )
    return [
        r.id
        for r in rows
        if apply_read(session, settings, r, reads[r.account_id], actor=actor, now=now) is not None
    ]


# --- what the evidence says, for alerts, ``reviews show`` and the report --------------------


def _dict(value: Any) -> dict[str, Any]:
    """``value`` if it is an object, else empty (Graph sends ``null`` for absent parts)."""
    return value if isinstance(value, dict) else {}


def _initiator(item: dict[str, Any]) -> str:
    by = _dict(item.get("initiatedBy"))
    user, app = _dict(by.get("user")), _dict(by.get("app"))
    if user:
        return str(user.get("userPrincipalName") or user.get("displayName") or user.get("id"))
    if app:
        return str(app.get("displayName") or app.get("appId") or "app")
    return "-"


def _targets(item: dict[str, Any]) -> str:
    names = []
    targets = item.get("targetResources")
    for target in targets if isinstance(targets, list) else []:
        if isinstance(target, dict):
            name = target.get("displayName") or target.get("userPrincipalName") or target.get("id")
            if name:
                names.append(str(name))
    return ", ".join(names)


def _result(item: dict[str, Any]) -> str:
    outcome = str(item.get("result") or "unknown")
    reason = item.get("resultReason")
    return f"{outcome}: {reason}" if reason else outcome


def audit_summary(item: dict[str, Any]) -> dict[str, Any]:
    """One audit as ``{at, activity, initiated_by, targets, result}`` (plain strings)."""
    moment = parse_graph_time(item.get("activityDateTime"))
    return {
        "at": moment.isoformat() if moment else str(item.get("activityDateTime") or ""),
        "activity": str(item.get("activityDisplayName") or "unnamed activity"),
        "initiated_by": _initiator(item),
        "targets": _targets(item),
        "result": _result(item),
    }


def _initiated_by(item: dict[str, Any], account_id: str) -> bool:
    user = _dict(_dict(item.get("initiatedBy")).get("user"))
    return str(user.get("id") or "").lower() == account_id.lower()


def changes_of(review: ReviewRow) -> list[dict[str, str]] | None:
    """What the account itself changed so far, from the review's evidence (None: unread).

    Each item is ``{"at", "activity", "targets", "result"}``, oldest first.
    """
    if review.evidence is None:
        return None
    out = []
    for item in review.evidence:
        if isinstance(item, dict) and _initiated_by(item, review.account_id):
            summary = audit_summary(item)
            out.append({k: summary[k] for k in ("at", "activity", "targets", "result")})
    return out


def evidence_window_json(review: ReviewRow) -> dict[str, str] | None:
    """The window the stored evidence covers, as ISO strings (None: not gathered yet)."""
    if review.evidence_start is None or review.evidence_end is None:
        return None
    return {"start": review.evidence_start.isoformat(), "end": review.evidence_end.isoformat()}
