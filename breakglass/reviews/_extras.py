"""Data the review and monitor checks (BG-040, BG-042) read from ``CheckContext.extras``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from breakglass.config import Settings
from breakglass.reviews._deadlines import overdue_reviews
from breakglass.reviews._drills import drills, rotation_waivers
from breakglass.store.tables import PollStateRow

__all__ = ["review_context", "review_extras"]


def review_extras(session: Session, settings: Settings, now: datetime) -> dict[str, Any]:
    """``reviews_overdue`` and ``poll_state`` for the checks, as plain data."""
    overdue = [
        {
            "review_id": review.id,
            "kind": review.kind,
            "state": review.state,
            "account_id": review.account_id,
            "account_upn": review.account_upn,
            "due_at": deadline.due_at,
            "overdue_seconds": (now - deadline.due_at).total_seconds(),
        }
        for review, deadline in overdue_reviews(session, settings, now)
    ]
    states = session.scalars(
        select(PollStateRow).where(PollStateRow.tenant_id == settings.tenant.id)
    )
    poll_state = {
        s.stream: {
            "last_success_at": s.last_success_at,
            "last_attempt_at": s.last_attempt_at,
            "consecutive_failures": s.consecutive_failures,
            "last_error": s.last_error,
        }
        for s in states
    }
    return {"reviews_overdue": overdue, "poll_state": poll_state}


def review_context(session: Session, settings: Settings, now: datetime) -> dict[str, Any]:
    """Everything the review layer gives ``CheckContext``: waivers, drills and extras."""
    return {
        "rotation_waivers": rotation_waivers(session, settings.tenant.id),
        "drills": drills(session, settings.tenant.id),
        "extras": review_extras(session, settings, now),
    }
