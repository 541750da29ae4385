"""The REST API against a simulated tenant: one app, one in-process client, a token per role.

``api_tenant`` starts a simulator, writes its config (store in a fresh migrated SQLite file
unless a URL is given), signs nothing yet, builds ``create_app`` on a ``Store`` and makes
one service API token per role with ``breakglass.access.create_token``. Tests call the API
as a role with ``ApiTenant.call(role, method, path, …)``; ``role=None`` sends no credential.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from breakglass.config import AccessRole, load_settings
from tests.support.asgi import AppClient
from tests.support.sim import Sim, Tenant, merge_toml
from tests.support.tenant import healthy_tenant

__all__ = ["ROLES", "ApiTenant", "api_tenant", "bearer", "serving"]

ROLES: tuple[str, ...] = tuple(r.value for r in AccessRole)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class ApiTenant:
    """A running simulated tenant, the app serving it, and a token per role."""

    sim: Sim
    app: FastAPI
    client: AppClient
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def settings(self) -> Any:
        return self.sim.settings

    def token(self, role: str, name: str | None = None) -> str:
        """A new service API token with ``role`` (named ``name``)."""
        from breakglass._time import utcnow
        from breakglass.access import create_token

        with self.sim.store.transaction() as session:
            _, token = create_token(
                session,
                self.settings,
                name=name or f"{role} robot",
                role=AccessRole(role),
                created_by="tests",
                now=utcnow(),
            )
        return token

    def call(self, role: str | None, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """``method path`` as ``role`` (a role name, a raw token, or None: anonymous)."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if role is not None:
            headers.update(bearer(self.tokens.get(role, role)))
        return self.client.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, role: str | None = "viewer", **kwargs: Any) -> httpx.Response:
        return self.call(role, "GET", path, **kwargs)

    def post(self, path: str, role: str | None, **kwargs: Any) -> httpx.Response:
        return self.call(role, "POST", path, **kwargs)

    def items(self, path: str, role: str = "viewer", **params: Any) -> list[dict[str, Any]]:
        """Every item of a paged list, following ``next`` to the end."""
        found: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            query = {**params, **({"next": cursor} if cursor else {})}
            response = self.get(path, role, params=query)
            assert response.status_code == 200, response.text
            body = response.json()
            found += body["items"]
            cursor = body["next"]
            if cursor is None:
                return found


@contextmanager
def serving(sim: Sim) -> Iterator[ApiTenant]:
    """The app for ``sim``'s settings and store, a client, and a token per role."""
    from breakglass_api import create_app

    app = create_app(sim.settings, store=sim.store)
    with AppClient(app) as client:
        api = ApiTenant(sim, app, client)
        api.tokens = {role: api.token(role) for role in ROLES}
        yield api


@contextmanager
def api_tenant(
    folder: Path,
    simulator_keys: Path,
    scenario: dict[str, Any] | None = None,
    *,
    store_url: str | None = None,
    **overrides: Any,
) -> Iterator[ApiTenant]:
    """A simulator for ``scenario`` (default: a healthy tenant), its config in ``folder``
    (``overrides`` merged in), a migrated store and the app with a token per role."""
    from breakglass.simulator import SimulatorServer, load_scenario, write_config
    from breakglass.store import Store

    loaded = load_scenario(scenario or healthy_tenant())
    server = SimulatorServer(loaded, state_dir=simulator_keys)
    server.start()
    try:
        url = store_url or f"sqlite:///{folder / 'store.db'}"
        with Store.open(url, require_migrated=False) as store:
            store.upgrade()
        path = write_config(server, loaded, folder / "breakglass.toml")
        merge_toml(path, {"store": {"url": url}, **overrides})
        sim = Sim(Tenant(server, load_settings(path), path))
        try:
            with serving(sim) as api:
                yield api
        finally:
            sim.close()
    finally:
        server.stop()
