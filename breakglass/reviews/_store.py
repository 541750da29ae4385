"""Opening the store for one unit of work, and loading a review by id."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.orm import Session

from breakglass.config import Settings
from breakglass.reviews._errors import ReviewNotFoundError
from breakglass.store.tables import ReviewRow

__all__ = ["load_review", "transaction"]


@contextmanager
def transaction(settings: Settings) -> Iterator[Session]:
    """A session in one transaction on the migrated store; commits on success."""
    from breakglass.store.engine import assert_migrated, make_engine, make_sessionmaker

    engine = make_engine(settings.store_url)
    try:
        assert_migrated(engine)
        with make_sessionmaker(engine).begin() as session:
            yield session
    finally:
        engine.dispose()


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
