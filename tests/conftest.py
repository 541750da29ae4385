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


@pytest.fixture
def tenant_factory(tmp_path: Path) -> Iterator[Callable[..., Tenant]]:
    """Start a simulator for a scenario dict and write a config for it."""
    from breakglass.simulator import SimulatorServer, load_scenario, write_config

    servers: list[Any] = []

    def make(scenario: dict[str, Any], **config_overrides: Any) -> Tenant:
        loaded = load_scenario(scenario)
        server = SimulatorServer(loaded, state_dir=tmp_path / f"sim{len(servers)}")
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
