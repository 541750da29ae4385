"""What reviews look like outside the store (DESIGN §15): plain JSON-ready dicts.

A table row is never returned as is; ``review_summary`` is exactly the ``reviews list``
shape, ``review_detail`` a superset for ``reviews show``, the API and the signed report:
the operator's account (justification, actions, root cause, follow-ups), the real session
span (first to last sign-in), the exact evidence window and a plain summary of each audit.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from breakglass.config import Settings
from breakglass.reviews._evidence import audit_summary, evidence_window_json
from breakglass.reviews._store import load_review
from breakglass.store.tables import ReviewEventRow, ReviewRow, SignInRow

__all__ = ["list_reviews", "review_detail", "review_summary", "show_review"]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _due(review: ReviewRow) -> datetime | None:
    if review.state == "open":
        return review.submit_due_at
    if review.state == "submitted":
        return review.approve_due_at
    return None


def review_summary(review: ReviewRow, signin_ids: list[str]) -> dict[str, Any]:
    return {
        "id": review.id,
        "kind": review.kind,
        "state": review.state,
        "account": {"id": review.account_id, "upn": review.account_upn},
        "opened_at": _iso(review.opened_at),
        "due_at": _iso(_due(review)),
        "signin_ids": signin_ids,
        "evidence_count": len(review.evidence or []),
        "classification": review.classification,
    }


def _location(raw: dict[str, Any]) -> str | None:
    place = raw.get("location")
    if not isinstance(place, dict):
        return None
    parts = [place.get("city"), place.get("state"), place.get("countryOrRegion")]
    return ", ".join(str(p) for p in parts if p) or None


def _failure_reason(raw: dict[str, Any]) -> str | None:
    status = raw.get("status")
    reason = status.get("failureReason") if isinstance(status, dict) else None
    return str(reason) if reason else None


def _session_span(signins: list[SignInRow]) -> dict[str, Any] | None:
    if not signins:
        return None
    first, last = signins[0].created_at, signins[-1].created_at
    return {
        "first_signin": _iso(first),
        "last_signin": _iso(last),
        "minutes": round((last - first).total_seconds() / 60, 1),
        "signin_count": len(signins),
    }


def _signins(session: Session, tenant_id: str, review_ids: list[int]) -> dict[int, list[SignInRow]]:
    out: dict[int, list[SignInRow]] = defaultdict(list)
    if not review_ids:
        return out
    rows = session.scalars(
        select(SignInRow)
        .where(SignInRow.tenant_id == tenant_id, SignInRow.review_id.in_(review_ids))
        .order_by(SignInRow.created_at, SignInRow.signin_id)
    )
    for row in rows:
        assert row.review_id is not None
        out[row.review_id].append(row)
    return out


def list_reviews(
    session: Session, settings: Settings, *, state: str | None = None
) -> list[dict[str, Any]]:
    """Every review of the tenant (or those in ``state``), oldest first, as ``reviews list``."""
    query = select(ReviewRow).where(ReviewRow.tenant_id == settings.tenant.id)
    if state:
        query = query.where(ReviewRow.state == state)
    reviews = list(session.scalars(query.order_by(ReviewRow.id)))
    signins = _signins(session, settings.tenant.id, [r.id for r in reviews])
    return [review_summary(r, [s.signin_id for s in signins[r.id]]) for r in reviews]


def review_detail(session: Session, settings: Settings, review: ReviewRow) -> dict[str, Any]:
    signins = _signins(session, settings.tenant.id, [review.id])[review.id]
    events = session.scalars(
        select(ReviewEventRow)
        .where(ReviewEventRow.review_id == review.id)
        .order_by(ReviewEventRow.id)
    )
    return {
        **review_summary(review, [s.signin_id for s in signins]),
        "window": {"start": _iso(review.window_start), "end": _iso(review.window_end)},
        "submit_due_at": _iso(review.submit_due_at),
        "approve_due_at": _iso(review.approve_due_at),
        "session": _session_span(signins),
        "operator": review.operator,
        "justification": review.justification,
        "actions": review.actions_taken,
        "root_cause": review.root_cause,
        "follow_ups": list(review.follow_ups or []),
        "ticket": review.ticket,
        "submitted_by": review.submitted_by,
        "submitted_by_id": review.submitted_by_id,
        "submitted_at": _iso(review.submitted_at),
        "approved_by": review.approved_by,
        "approved_by_id": review.approved_by_id,
        "approved_at": _iso(review.approved_at),
        "closed_by": review.closed_by,
        "closed_by_id": review.closed_by_id,
        "closed_at": _iso(review.closed_at),
        "drill_window_id": review.drill_window_id,
        "rotation": review.rotation,
        "evidence_sha256": review.evidence_sha256,
        "evidence_window": evidence_window_json(review),
        "evidence_frozen_at": _iso(review.evidence_frozen_at),
        "evidence": review.evidence or [],
        "evidence_summary": [
            audit_summary(a) for a in review.evidence or [] if isinstance(a, dict)
        ],
        "signins": [
            {
                "id": s.signin_id,
                "created_at": _iso(s.created_at),
                "success": s.success,
                "error_code": s.error_code,
                "interactive": s.interactive,
                "failure_reason": None if s.success else _failure_reason(s.raw),
                "ip_address": s.ip_address,
                "location": _location(s.raw),
                "app": s.app_display_name,
                "client_app": s.raw.get("clientAppUsed") or None,
            }
            for s in signins
        ],
        "events": [
            {
                "at": _iso(e.at),
                "actor": e.actor,
                "actor_id": e.actor_id,
                "action": e.action,
                "from": e.from_state,
                "to": e.to_state,
                "reason": e.reason,
            }
            for e in events
        ],
    }


def show_review(session: Session, settings: Settings, review_id: int) -> dict[str, Any]:
    """One review with its sign-ins, evidence and history, as ``reviews show``."""
    return review_detail(session, settings, load_review(session, settings, review_id))
