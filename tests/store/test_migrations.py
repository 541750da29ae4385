"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from breakglass.errors import StoreError
from breakglass.store.engine import assert_migrated, make_engine
from breakglass.store.tables import Base


def test_migrations_match_the_models(db_url: str) -> None:
    """After `db upgrade` there is no difference between the database and the models."""
    engine = make_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_unmigrated_database_is_refused(tmp_path) -> None:
    """An empty database is named as such, with the command that fixes it."""
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        assert_migrated(engine)
    except StoreError as exc:
        assert "breakglass db upgrade" in str(exc)
        assert "empty" in str(exc)
    else:
        raise AssertionError("an empty database passed assert_migrated")
