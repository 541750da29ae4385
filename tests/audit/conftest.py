"""Fixtures for audit-log tests: a migrated store, settings with a checkpoint key, a DBA."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import tomli_w
from sqlalchemy import Engine, text

from breakglass.audit import append
from breakglass.config import Settings, settings_from_dict
from breakglass.store import Store
from tests.support.audit_db import AuditTamper
from tests.support.settings import AUDIT_TENANT as TENANT
from tests.support.settings import audit_config


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store.open(db_url) as opened:
        yield opened


@pytest.fixture
def engine(store: Store) -> Engine:
    """The store's engine, for raw SQL as the application's own connection."""
    return store.engine


@pytest.fixture
def config_file(tmp_path: Path, db_url: str) -> Path:
    path = tmp_path / "breakglass.toml"
    path.write_text(tomli_w.dumps(audit_config(db_url)))
    path.chmod(0o600)
    return path


@pytest.fixture
def settings(config_file: Path, db_url: str) -> Settings:
    return settings_from_dict(audit_config(db_url), config_path=config_file, env=False)


@pytest.fixture
def keyed(settings: Settings) -> Settings:
    """Settings whose checkpoint key exists."""
    from breakglass.audit import init_checkpoint_key

    init_checkpoint_key(settings)
    return settings


@pytest.fixture
def fill(store: Store) -> Callable[[int], None]:
    """Append ``n`` entries, each in its own transaction."""

    def add(n: int) -> None:
        for _ in range(n):
            with store.transaction() as session:
                count = session.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
                append(
                    session,
                    tenant_id=TENANT,
                    actor="alice@contoso.com",
                    action="review.submitted",
                    data={"review": count + 1, "note": "täst"},
                )

    return add


@pytest.fixture
def dba(engine: Engine) -> AuditTamper:
    return AuditTamper(engine)
