"""Fixtures for the console tests: a simulated tenant with one person per role, the app
for it, and a browser-like client per person."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.console import Console, console_users
from tests.support.sim import Sim
from tests.support.tenant import healthy_tenant


@pytest.fixture
def console(sim_factory: Callable[..., Sim]) -> Iterator[Console]:
    from breakglass_api import create_app

    scenario = healthy_tenant()
    scenario["demo_users"] = console_users()
    sim = sim_factory(scenario)
    made = Console(sim, create_app(sim.settings, store=sim.store))
    yield made
    for client in made.clients.values():
        client.close()
