"""Recording a review transition: the event row, the audit entry and the notification."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from breakglass import audit
from breakglass.config import Settings
from breakglass.notify import publish
from breakglass.store.tables import ReviewEventRow, ReviewRow

__all__ = ["record_transition"]


def record_transition(
    session: Session,
    settings: Settings,
    review: ReviewRow,
    *,
    actor: str,
    action: str,
    to_state: str,
    reason: str | None,
    now: datetime,
    data: dict[str, Any] | None = None,
) -> ReviewEventRow:
    """Move ``review`` to ``to_state`` and record who, when, from, to and why."""
    from_state = review.state if review.id is not None and action != "open" else None
    review.state = to_state
    session.flush()
    event = ReviewEventRow(
        tenant_id=settings.tenant.id,
        review_id=review.id,
        at=now,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=data or {},
    )
    session.add(event)
    session.flush()
    audit.append(
        session,
        tenant_id=settings.tenant.id,
        actor=actor,
        action=f"review.{action}",
        data={
            "review_id": review.id,
            "account_id": review.account_id,
            "from": from_state,
            "to": to_state,
            "reason": reason,
            **(data or {}),
        },
        at=now,
    )
    event_type = "review_opened" if action == "open" else "review_transition"
    publish(
        session,
        settings,
        event_type=event_type,
        severity="high",
        subject=f"Review {review.id} of {review.account_upn}: {from_state or 'new'} → {to_state}",
        payload={
            "review_id": review.id,
            "kind": review.kind,
            "account": {"id": review.account_id, "upn": review.account_upn},
            "action": action,
            "from": from_state,
            "to": to_state,
            "actor": actor,
            "reason": reason,
            "at": now.isoformat(),
        },
        dedupe_key=f"{event_type}:{review.id}:{event.id}",
        now=now,
    )
    return event
