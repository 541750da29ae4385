"""Fixtures for the console tests: a simulated tenant with one person per role, the app
for it, and a browser-like client per person."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.support.asgi import AppClient
from tests.support.console import console_users, sign_in
from tests.support.sim import Sim
from tests.support.tenant import healthy_tenant


@dataclass
class Console:
    """The tenant, the app serving it, and one signed-in client per person."""

    sim: Sim
    app: Any
    clients: dict[str, AppClient] = field(default_factory=dict)

    def client(self, name: str | None = None) -> AppClient:
        """A client signed in as ``name`` (``None``: not signed in); one per person."""
        key = name or ""
        if key not in self.clients:
            client = AppClient(self.app, base_url=self.sim.settings.service.base_url)
            if name is not None:
                sign_in(client, name)
            self.clients[key] = client
        return self.clients[key]


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
