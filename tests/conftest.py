"""Shared fixtures: a simulated tenant per test, the product pointed at it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from breakglass.config import load_settings
from tests.support.logs import Captured, capturing
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


class _PgDatabases:
    """Creates a PostgreSQL database per test and drops it afterwards.

    Drops run on one background thread: ``DROP DATABASE`` waits on the server's disk for a
    few hundred milliseconds, during which the next test can already run. Each drop first
    ends the sessions a test left behind on that database (and only that one). A drop that
    fails is raised when the session ends.
    """

    def __init__(self, base_url: str) -> None:
        from concurrent.futures import ThreadPoolExecutor

        from sqlalchemy import create_engine

        self.base_url = base_url
        self.admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
        self._dropper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-drop")
        self._drops: list[Future[None]] = []

    def create(self, template: str | None = None) -> tuple[str, str]:
        """A new database (a copy of ``template`` if given): its name and URL."""
        import uuid

        from sqlalchemy import text
        from sqlalchemy.engine import make_url

        name = f"bg_test_{uuid.uuid4().hex[:12]}"
        copy = f' TEMPLATE "{template}"' if template else ""
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        url = make_url(self.base_url).set(database=name).render_as_string(hide_password=False)
        return name, url

    def drop(self, name: str) -> None:
        from sqlalchemy import text

        with self.admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))

    def drop_later(self, name: str) -> None:
        self._drops.append(self._dropper.submit(self.drop, name))

    def close(self) -> None:
        self._dropper.shutdown(wait=True)
        self.admin.dispose()
        failed = [f.exception() for f in self._drops if f.exception() is not None]
        if failed:
            raise RuntimeError(f"{len(failed)} test database(s) were not dropped: {failed[0]}")


@pytest.fixture(scope="session")
def _pg_databases() -> Iterator[_PgDatabases]:
    assert PG_URL
    databases = _PgDatabases(PG_URL)
    try:
        yield databases
    finally:
        databases.close()


# Migrating takes a few hundred milliseconds per database; copying a migrated one takes a few.
# Each test still gets a database of its own (so tests, and xdist workers, never share one):
# a copy of a template this process migrated once with ``Store.upgrade`` (``db upgrade``).


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head, closed (its WAL checkpointed into the file)."""
    from breakglass.store import Store

    path = tmp_path_factory.mktemp("db-template") / "store.db"
    with Store.open(f"sqlite:///{path}", require_migrated=False) as store:
        store.upgrade()
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "the template's WAL was not checkpointed"
    return path


@pytest.fixture(scope="session")
def _pg_template(_pg_databases: _PgDatabases) -> Iterator[str]:
    """A PostgreSQL database migrated to head, the template of every test's database."""
    from breakglass.store import Store

    name, url = _pg_databases.create()
    try:
        with Store.open(url, require_migrated=False) as store:
            store.upgrade()  # closing disposes the engine: no session is left on the template
        yield name
    finally:
        _pg_databases.drop(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database URL: SQLite always, PostgreSQL when the server is there.

    CI sets BREAKGLASS_TEST_PG_URL, so the PostgreSQL half runs there and is never skipped.
    """
    if request.param == "sqlite":
        import shutil

        path = tmp_path / "store.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    if not PG_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("BREAKGLASS_TEST_PG_URL is not set in CI; PostgreSQL tests must run")
        pytest.skip("PostgreSQL not available (set BREAKGLASS_TEST_PG_URL)")
    databases: _PgDatabases = request.getfixturevalue("_pg_databases")
    name, url = databases.create(template=request.getfixturevalue("_pg_template"))
    try:
        yield url
    finally:
        databases.drop_later(name)


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


@pytest.fixture
def captured(caplog: pytest.LogCaptureFixture) -> Iterator[Captured]:
    """Logging as ``--log-level debug`` sets it up, with every event and record captured."""
    with capturing(caplog) as logs:
        yield logs
