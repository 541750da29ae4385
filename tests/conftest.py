"""Shared fixtures: a simulated tenant per test, the product pointed at it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from breakglass.checks import CheckRun, Finding
from breakglass.config import Settings, load_settings

PG_URL = os.environ.get("BREAKGLASS_TEST_PG_URL")


@dataclass
class Tenant:
    """A running simulator and the settings that point the product at it."""

    server: Any
    settings: Settings
    config_path: Path

    def check(self, *, store: bool = False, **kwargs: Any) -> CheckRun:
        from breakglass.checking import run_check

        return run_check(self.settings, store=store, **kwargs)


@pytest.fixture(scope="session")
def simulator_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One set of simulator keys and certificates for the whole run (generating them is slow)."""
    return tmp_path_factory.mktemp("simulator-keys")


@pytest.fixture
def tenant_factory(tmp_path: Path, simulator_keys: Path) -> Iterator[Callable[..., Tenant]]:
    """Start a simulator for a scenario dict and write a config for it."""
    from breakglass.simulator import SimulatorServer, load_scenario, write_config

    servers: list[Any] = []

    def make(scenario: dict[str, Any], **config_overrides: Any) -> Tenant:
        loaded = load_scenario(scenario)
        server = SimulatorServer(loaded, state_dir=simulator_keys)
        server.start()
        servers.append(server)
        path = write_config(server, loaded, tmp_path / f"breakglass{len(servers)}.toml")
        if config_overrides:
            _merge_toml(path, config_overrides)
        settings = load_settings(path)
        return Tenant(server, settings, path)

    yield make
    for server in servers:
        server.stop()


def _merge_toml(path: Path, overrides: dict[str, Any]) -> None:
    import tomllib

    import tomli_w

    data = tomllib.loads(path.read_text())
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    path.write_text(tomli_w.dumps(data))
    path.chmod(0o600)


def findings_for(
    run: CheckRun | list[Finding], check_id: str, resource_id: str | None = None
) -> list[Finding]:
    items = run.findings if isinstance(run, CheckRun) else run
    return [
        f
        for f in items
        if f.check_id == check_id and (resource_id is None or f.resource.id == resource_id)
    ]


def one(run: CheckRun | list[Finding], check_id: str, resource_id: str | None = None) -> Finding:
    found = findings_for(run, check_id, resource_id)
    assert len(found) == 1, f"expected one {check_id} finding for {resource_id}, got {found}"
    return found[0]


def _pg_database(base_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"bg_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database URL: SQLite always, PostgreSQL when the server is there.

    CI sets BREAKGLASS_TEST_PG_URL, so the PostgreSQL half runs there and is never skipped.
    """
    from breakglass.store.engine import make_engine, upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    if not PG_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("BREAKGLASS_TEST_PG_URL is not set in CI; PostgreSQL tests must run")
        pytest.skip("PostgreSQL not available (set BREAKGLASS_TEST_PG_URL)")
    gen = _pg_database(PG_URL)
    url = next(gen)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        next(gen, None)
