"""Shared fixtures: a demo-tenant simulator for the session, and a factory for others."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from breakglass.simulator import Scenario, SimulatorServer, load_scenario, scenario_path


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One key/certificate folder for every simulator in the session (keys are reused)."""
    return tmp_path_factory.mktemp("simulator-state")


@pytest.fixture(scope="session")
def demo_raw() -> dict[str, Any]:
    return json.loads(scenario_path("demo").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def demo(demo_raw: dict[str, Any]) -> Scenario:
    return load_scenario(demo_raw)


@pytest.fixture(scope="session")
def server(demo: Scenario, state_dir: Path) -> Iterator[SimulatorServer]:
    simulator = SimulatorServer(demo, state_dir=state_dir).start()
    yield simulator
    simulator.stop()


@pytest.fixture(autouse=True)
def _clean_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "server" in request.fixturenames:
        request.getfixturevalue("server").faults.clear()


@pytest.fixture
def client(server: SimulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=server.graph_url,
        headers={"Authorization": f"Bearer {server.static_token}"},
        timeout=30,
    ) as http:
        yield http


@pytest.fixture
def accounts(demo: Scenario) -> dict[str, dict[str, Any]]:
    """The demo's declared accounts as bg1, bg2, bg3."""
    return {f"bg{i + 1}": a for i, a in enumerate(demo.breakglass["accounts"])}


ServerFactory = Callable[..., SimulatorServer]


@pytest.fixture
def make_server(demo_raw: dict[str, Any], state_dir: Path) -> Iterator[ServerFactory]:
    """Start a simulator on a changed copy of the demo scenario (stopped after the test)."""
    started: list[SimulatorServer] = []

    def factory(**changes: Any) -> SimulatorServer:
        raw = copy.deepcopy(demo_raw)
        raw.update(changes)
        simulator = SimulatorServer(load_scenario(raw), state_dir=state_dir).start()
        started.append(simulator)
        return simulator

    yield factory
    for simulator in started:
        simulator.stop()


def bearer(server: SimulatorServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.static_token}"}
