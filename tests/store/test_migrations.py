"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from breakglass.errors import StoreError
from breakglass.store import Store
from breakglass.store.tables import Base

ROOT = Path(__file__).resolve().parents[2]


def test_migrations_match_the_models(db_url: str) -> None:
    """After `db upgrade` there is no difference between the database and the models."""
    with Store.open(db_url) as store, store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_unmigrated_database_is_refused(tmp_path: Path) -> None:
    """An empty database is named as such, with the command that fixes it."""
    with pytest.raises(StoreError) as refused:
        Store.open(f"sqlite:///{tmp_path / 'empty.db'}")
    assert "breakglass db upgrade" in str(refused.value)
    assert "empty" in str(refused.value)


def test_store_transaction_commits_and_rolls_back(db_url: str) -> None:
    """A transaction commits when its block ends and leaves nothing behind when it raises."""
    from sqlalchemy import func, select

    from breakglass.store.tables import DrillWindowRow

    def count(store: Store) -> int:
        with store.session() as session:
            return int(session.scalar(select(func.count()).select_from(DrillWindowRow)) or 0)

    def row() -> DrillWindowRow:
        from datetime import UTC, datetime

        now = datetime.now(UTC)
        return DrillWindowRow(
            tenant_id="t",
            account_id=None,
            starts_at=now,
            ends_at=now,
            created_by="a",
            created_at=now,
            reason="r",
        )

    with Store.open(db_url) as store:
        with store.transaction() as session:
            session.add(row())
        assert count(store) == 1
        with pytest.raises(RuntimeError), store.transaction() as session:
            session.add(row())
            session.flush()
            raise RuntimeError("boom")
        assert count(store) == 1


def test_only_the_store_creates_engines() -> None:
    """Outside tests, exactly one place turns a database URL into an engine."""
    pattern = r"create_engine\(|make_engine\("
    out = subprocess.run(
        ["git", "grep", "--untracked", "-n", "-E", pattern, "--", "breakglass", "api"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    calls = [line for line in out.splitlines() if not re.search(r":\s*def make_engine", line)]
    assert calls, "the search found nothing: the test would pass vacuously"
    outside = [line for line in calls if not line.startswith("breakglass/store/_engine.py")]
    # create_engine only inside make_engine; make_engine only inside Store.open
    assert len(outside) == 1 and outside[0].startswith("breakglass/store/_store.py"), out
