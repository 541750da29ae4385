"""Recording a review transition: the event row, the audit entry and the notification."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from breakglass import audit
from breakglass.config import Settings
from breakglass.notify import publish, review_payload, signin_summary
from breakglass.reviews._evidence import changes_of, evidence_window_json
from breakglass.store.tables import ReviewEventRow, ReviewRow, SignInRow

__all__ = ["record_transition", "review_fields"]


def _evidence_keys(review: ReviewRow) -> dict[str, Any]:
    """What the account changed so far and the audit window read (None: not read)."""
    return {"changes": changes_of(review), "evidence_window": evidence_window_json(review)}


def record_transition(
    session: Session,
    settings: Settings,
    review: ReviewRow,
    *,
    actor: str,
    actor_id: str | None = None,
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
        actor_id=actor_id,
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
            **({"actor_id": actor_id} if actor_id else {}),
            **(data or {}),
        },
        at=now,
    )
    event_type = "review_opened" if action == "open" else "review_transition"
    verb = {"open": "opened", "submit": "submitted", "approve": "approved", "close": "closed"}
    publish(
        session,
        settings,
        event_type=event_type,
        severity="high",
        subject=f"Review {review.id} of {review.account_upn} "
        f"{verb.get(action, f'moved to {to_state}')} by {actor}",
        payload=dict(
            review_payload(
                **review_fields(session, settings, review, now),
                actor=actor,
                action=action,
                from_state=from_state,
                to_state=to_state,
                reason=reason,
                classification=review.classification,
                operator=review.operator,
                ticket=review.ticket,
                **(_evidence_keys(review) if event_type == "review_opened" else {}),
            )
        ),
        dedupe_key=f"{event_type}:{review.id}:{event.id}",
        now=now,
    )
    return event


def review_fields(
    session: Session, settings: Settings, review: ReviewRow, now: datetime
) -> dict[str, Any]:
    """The notification contract's review keys (``breakglass.notify.review_payload``) that
    every review event shares: the account, the state, the deadline and the sign-ins."""
    rows = session.scalars(
        select(SignInRow)
        .where(SignInRow.tenant_id == settings.tenant.id, SignInRow.review_id == review.id)
        .order_by(SignInRow.created_at, SignInRow.signin_id)
    )
    due_at, due_for = {
        "open": (review.submit_due_at, "submission"),
        "submitted": (review.approve_due_at, "approval"),
    }.get(review.state, (None, None))
    return {
        "review_id": review.id,
        "kind": review.kind,
        "upn": review.account_upn,
        "account_id": review.account_id,
        "state": review.state,
        "at": now,
        "due_at": due_at,
        "due_for": due_for,
        "window_start": review.window_start,
        "window_end": review.window_end,
        "sign_ins": [
            signin_summary(r.raw, signin_id=r.signin_id, created_at=r.created_at, success=r.success)
            for r in rows
        ],
    }
