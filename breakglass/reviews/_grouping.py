"""Grouping sign-ins into reviews (DESIGN §8, §9).

A successful sign-in joins the *usage* review of the same account whose session window
(first to last sign-in) lies within ``session_gap_hours`` of it, on either side, so a
row that arrives hours late still lands in its session; failed sign-ins do the same with
*attempt* reviews. Only ``open`` and ``submitted`` reviews are joined: a sign-in joining a
submitted review sends it back to ``open`` (the submission no longer covers the whole
session, so its evidence is no longer frozen). Approved and closed reviews are never
changed; a new review opens instead. A new review is classified as a drill when a drill
window pre-registered for the account covers the sign-in.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from breakglass.config import Settings
from breakglass.reviews._drills import drill_window_for
from breakglass.reviews._events import record_transition
from breakglass.reviews._evidence import AuditRead, apply_read
from breakglass.store.tables import ReviewRow, SignInRow

__all__ = ["WATCHER_ACTOR", "attach_sign_in"]

WATCHER_ACTOR = "breakglass-watcher"


def _joinable(
    session: Session, settings: Settings, kind: str, sign_in: SignInRow
) -> ReviewRow | None:
    gap = timedelta(hours=settings.thresholds.session_gap_hours)
    at = sign_in.created_at
    candidates = session.scalars(
        select(ReviewRow).where(
            ReviewRow.tenant_id == settings.tenant.id,
            ReviewRow.account_id == sign_in.account_id,
            ReviewRow.kind == kind,
            ReviewRow.state.in_(("open", "submitted")),
            ReviewRow.window_start <= at + gap,
            ReviewRow.window_end >= at - gap,
        )
    ).all()
    if not candidates:
        return None

    def distance(r: ReviewRow) -> timedelta:
        if r.window_start <= at <= r.window_end:
            return timedelta(0)
        return min(abs(r.window_start - at), abs(at - r.window_end))

    return min(candidates, key=lambda r: (distance(r), r.id))


def attach_sign_in(
    session: Session,
    settings: Settings,
    sign_in: SignInRow,
    *,
    upn: str,
    now: datetime,
    audits: AuditRead | None = None,
) -> tuple[ReviewRow, bool]:
    """The review ``sign_in`` belongs to (joined or newly opened) and whether it is new.

    With ``audits`` (the account's directory audits read before the transaction), the
    review's evidence is gathered or refreshed before anything is announced, so the
    review-opened alert can say what the account changed.
    """
    kind = "usage" if sign_in.success else "attempt"
    review = _joinable(session, settings, kind, sign_in)
    at = sign_in.created_at
    if review is not None:
        review.window_start = min(review.window_start, at)
        review.window_end = max(review.window_end, at)
        sign_in.review_id = review.id
        if review.state == "submitted":
            record_transition(
                session,
                settings,
                review,
                actor=WATCHER_ACTOR,
                action="reopen",
                to_state="open",
                reason=f"sign-in {sign_in.signin_id} joined the session after submission",
                now=now,
                data={"signin_id": sign_in.signin_id},
            )
            review.approve_due_at = None
            review.evidence_frozen_at = None  # the submission no longer covers the session
        session.flush()
        apply_read(session, settings, review, audits, actor=WATCHER_ACTOR, now=now)
        return review, False
    window = drill_window_for(session, settings.tenant.id, sign_in.account_id, at)
    drill = window.id if window is not None else None
    review = ReviewRow(
        tenant_id=settings.tenant.id,
        kind=kind,
        state="open",
        account_id=sign_in.account_id,
        account_upn=upn,
        opened_at=now,
        window_start=at,
        window_end=at,
        submit_due_at=now + timedelta(hours=settings.thresholds.submit_hours),
        approve_due_at=None,
        classification="drill" if drill is not None else None,
        drill_window_id=drill,
    )
    session.add(review)
    session.flush()
    sign_in.review_id = review.id
    # The first evidence is part of the opening: recorded with it, not as a separate entry.
    evidence = apply_read(
        session, settings, review, audits, actor=WATCHER_ACTOR, now=now, record=False
    )
    record_transition(
        session,
        settings,
        review,
        actor=WATCHER_ACTOR,
        action="open",
        to_state="open",
        reason=f"{kind} sign-in {sign_in.signin_id} at {at.isoformat()}",
        now=now,
        data={"signin_id": sign_in.signin_id, "drill_window_id": drill, "evidence": evidence},
    )
    return review, True
