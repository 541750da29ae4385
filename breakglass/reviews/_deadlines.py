"""Review deadlines: reminders before the due time, escalations after it, repeated daily.

An ``open`` review is due ``submit_hours`` after it opened; a ``submitted`` one is due
``approve_hours`` after submission. Each overdue review escalates once per full day
overdue (the dedupe key counts the days), so repeated sweeps never send duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from breakglass import audit
from breakglass._time import utcnow
from breakglass.config import Settings
from breakglass.notify import publish, review_payload
from breakglass.reviews._events import review_fields
from breakglass.reviews._grouping import WATCHER_ACTOR
from breakglass.store.tables import ReviewEventRow, ReviewRow

__all__ = ["Deadline", "SweepResult", "deadline_of", "overdue_reviews", "sweep"]

#: A reminder goes out when this share of the allowed time is left.
REMIND_AT_REMAINING = 0.25


@dataclass(frozen=True)
class Deadline:
    review_id: int
    state: str
    due_at: datetime
    allowed: timedelta


@dataclass
class SweepResult:
    escalated: list[int]
    reminded: list[int]


def deadline_of(review: ReviewRow, settings: Settings) -> Deadline | None:
    if review.state == "open":
        allowed = timedelta(hours=settings.thresholds.submit_hours)
        return Deadline(review.id, "open", review.submit_due_at, allowed)
    if review.state == "submitted" and review.approve_due_at is not None:
        allowed = timedelta(hours=settings.thresholds.approve_hours)
        return Deadline(review.id, "submitted", review.approve_due_at, allowed)
    return None


def overdue_reviews(
    session: Session, settings: Settings, now: datetime
) -> list[tuple[ReviewRow, Deadline]]:
    rows = session.scalars(
        select(ReviewRow)
        .where(
            ReviewRow.tenant_id == settings.tenant.id, ReviewRow.state.in_(("open", "submitted"))
        )
        .order_by(ReviewRow.id)
    )
    out = []
    for row in rows:
        deadline = deadline_of(row, settings)
        if deadline is not None and now > deadline.due_at:
            out.append((row, deadline))
    return out


def _what(state: str) -> str:
    return "submission" if state == "open" else "approval"


def sweep(session: Session, settings: Settings, now: datetime | None = None) -> SweepResult:
    """Escalate overdue reviews and remind about ones due soon; idempotent per day.

    Joins the caller's transaction: the notifications, audit entries and review marks
    commit together.
    """
    moment = (now or utcnow()).astimezone(UTC)
    result = SweepResult([], [])
    rows = session.scalars(
        select(ReviewRow)
        .where(
            ReviewRow.tenant_id == settings.tenant.id,
            ReviewRow.state.in_(("open", "submitted")),
        )
        .order_by(ReviewRow.id)
    ).all()
    for review in rows:
        deadline = deadline_of(review, settings)
        if deadline is None:
            continue
        payload = {
            "review_id": review.id,
            "account": {"id": review.account_id, "upn": review.account_upn},
            "state": review.state,
            "due_at": deadline.due_at.isoformat(),
        }
        what = _what(review.state)
        if moment > deadline.due_at:
            days = int((moment - deadline.due_at) / timedelta(days=1))
            key = f"review_overdue:{review.id}:{review.state}:{deadline.due_at.isoformat()}:{days}"
            if _already(session, settings, key):
                continue
            hours = (moment - deadline.due_at).total_seconds() / 3600
            publish(
                session,
                settings,
                event_type="review_overdue",
                severity="high",
                subject=f"ESCALATION: review {review.id} of {review.account_upn} is "
                f"{hours:.0f} h overdue for {what}",
                payload=_alert(session, settings, review, moment, escalation_day=days),
                dedupe_key=key,
                now=moment,
            )
            review.last_escalated_at = moment
            audit.append(
                session,
                tenant_id=settings.tenant.id,
                actor=WATCHER_ACTOR,
                action="review.escalated",
                data={**payload, "day": days},
                at=moment,
            )
            result.escalated.append(review.id)
        elif moment >= deadline.due_at - deadline.allowed * REMIND_AT_REMAINING:
            key = f"review_reminder:{review.id}:{review.state}:{deadline.due_at.isoformat()}"
            if _already(session, settings, key):
                continue
            hours = (deadline.due_at - moment).total_seconds() / 3600
            publish(
                session,
                settings,
                event_type="review_reminder",
                severity="medium",
                subject=f"Review {review.id} of {review.account_upn} is due for {what} in "
                f"{hours:.0f} h ({deadline.due_at:%Y-%m-%d %H:%M} UTC)",
                payload=_alert(session, settings, review, moment),
                dedupe_key=key,
                now=moment,
            )
            review.last_reminded_at = moment
            result.reminded.append(review.id)
    return result


def _alert(
    session: Session, settings: Settings, review: ReviewRow, moment: datetime, **extra: Any
) -> dict[str, Any]:
    """The reminder or escalation payload (the notification contract's review keys), with
    who acted last."""
    last = session.scalars(
        select(ReviewEventRow)
        .where(ReviewEventRow.review_id == review.id)
        .order_by(ReviewEventRow.at.desc(), ReviewEventRow.id.desc())
    ).first()
    return dict(
        review_payload(
            **review_fields(session, settings, review, moment),
            actor=last.actor if last else None,
            action=last.action if last else None,
            # The opening's reason repeats the sign-ins; a reopening's comment does not.
            reason=last.reason if last and last.action != "open" else None,
            classification=review.classification,
            operator=review.operator,
            ticket=review.ticket,
            **extra,
        )
    )


def _already(session: Session, settings: Settings, key: str) -> bool:
    from breakglass.store.tables import OutboxRow

    return (
        session.scalars(
            select(OutboxRow.id).where(
                OutboxRow.tenant_id == settings.tenant.id, OutboxRow.dedupe_key == key
            )
        ).first()
        is not None
    )
