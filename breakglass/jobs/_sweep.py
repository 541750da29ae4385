"""The deadline sweep job: reminders before a review is due, escalations after (DESIGN §9)."""

from __future__ import annotations

from datetime import datetime

from breakglass.config import Settings
from breakglass.reviews import SweepResult
from breakglass.reviews import sweep as sweep_reviews
from breakglass.store import Store

__all__ = ["sweep"]


def sweep(store: Store, settings: Settings, *, now: datetime | None = None) -> SweepResult:
    """One sweep over the open and submitted reviews, in one transaction."""
    with store.transaction() as session:
        return sweep_reviews(session, settings, now)
