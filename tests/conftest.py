"""Shared fixtures: a simulated tenant per test, the product pointed at it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from breakglass.config import load_settings
from tests.support.sim import Sim, Tenant, merge_toml
from tests.support.tenant import healthy_tenant

PG_URL = os.environ.get("BREAKGLASS_TEST_PG_URL")


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
            merge_toml(path, config_overrides)
        settings = load_settings(path)
        return Tenant(server, settings, path)

    yield make
    for server in servers:
        server.stop()


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
    from breakglass.store import Store

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
        with Store.open(url, require_migrated=False) as store:
            store.upgrade()
        yield url
        return
    if not PG_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("BREAKGLASS_TEST_PG_URL is not set in CI; PostgreSQL tests must run")
        pytest.skip("PostgreSQL not available (set BREAKGLASS_TEST_PG_URL)")
    gen = _pg_database(PG_URL)
    url = next(gen)
    with Store.open(url, require_migrated=False) as store:
        store.upgrade()
    try:
        yield url
    finally:
        next(gen, None)


@pytest.fixture
def sim_factory(tenant_factory: Callable[..., Tenant], db_url: str) -> Iterator[Callable[..., Sim]]:
    """A healthy tenant (optionally edited) whose config stores into ``db_url``."""
    made: list[Sim] = []

    def make(scenario: dict[str, Any] | None = None, **overrides: Any) -> Sim:
        tenant = tenant_factory(scenario or healthy_tenant(), store={"url": db_url}, **overrides)
        made.append(Sim(tenant))
        return made[-1]

    yield make
    for sim in made:
        sim.close()
