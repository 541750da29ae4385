"""Fixtures for audit-log tests: a migrated store, settings with a checkpoint key, a DBA."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from sqlalchemy import Engine, text

from breakglass.audit import append
from breakglass.config import Settings, settings_from_dict
from breakglass.store import Store
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


class Dba:
    """Someone with full access to the database: bypasses the append-only triggers."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.pg = engine.dialect.name == "postgresql"

    def execute(self, sql: str, **params: Any) -> None:
        with self.engine.begin() as conn:
            for table in ("audit_log", "audit_checkpoints"):
                if self.pg:
                    conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
                else:
                    for event in ("update", "delete"):
                        conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{event}"))
            conn.execute(text(sql), params)
            if self.pg:
                for table in ("audit_log", "audit_checkpoints"):
                    conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))

    def rows(self) -> list[Any]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    text("SELECT seq, payload, prev_hash, entry_hash FROM audit_log ORDER BY seq")
                )
            )

    def rewrite_from(self, seq: int, edit: Callable[[dict[str, Any]], None]) -> None:
        """Edit entry ``seq``'s payload and recompute every later hash, as an attacker would."""
        import json

        from breakglass._canonical import canonical_json
        from breakglass.audit import GENESIS, chain_hash

        prev = GENESIS
        for row in self.rows():
            payload = row.payload
            if row.seq == seq:
                data = json.loads(payload)
                edit(data)
                payload = canonical_json(data).decode("utf-8")
            if row.seq >= seq:
                new_hash = chain_hash(prev, payload)
                self.execute(
                    "UPDATE audit_log SET payload = :p, prev_hash = :ph, entry_hash = :eh "
                    "WHERE seq = :s",
                    p=payload,
                    ph=prev,
                    eh=new_hash,
                    s=row.seq,
                )
                prev = new_hash
            else:
                prev = row.entry_hash


@pytest.fixture
def dba(engine: Engine) -> Dba:
    return Dba(engine)
