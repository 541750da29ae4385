"""Loading a review by id inside the caller's transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from breakglass.config import Settings
from breakglass.reviews._errors import ReviewNotFoundError
from breakglass.store.tables import ReviewRow

__all__ = ["load_review"]


def load_review(session: Session, settings: Settings, review_id: int) -> ReviewRow:
    """The review, locked for update where the database supports it."""
    row = session.scalars(
        select(ReviewRow)
        .where(ReviewRow.tenant_id == settings.tenant.id, ReviewRow.id == review_id)
        .with_for_update()
    ).first()
    if row is None:
        raise ReviewNotFoundError(f"no review {review_id} in tenant {settings.tenant.id}")
    return row
