"""Every /api/v1 route × every role: allowed calls reach the route, refused ones get 403,
calls without a credential 401 — all as problem+json.

One tenant and one app for the module; each role calls with a service API token made by
``breakglass.access.create_token``. An allowed call answers 2xx or the domain's answer
for the target it names (404 for a review that does not exist, 409 for a test message
with no channel configured), never 401 or 403.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from breakglass import audit
from breakglass.signing import PASSPHRASE_ENV, init_keys
from tests.support.api import ROLES, ApiTenant, api_tenant
from tests.support.matrix import ANY, PASSPHRASE, ROUTES, Route, V


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, simulator_keys: Path) -> Iterator[ApiTenant]:
    """A healthy tenant with signing keys, a passphrase in the environment and one audit
    checkpoint, so that every allowed call can succeed."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv(PASSPHRASE_ENV, PASSPHRASE)
        with api_tenant(tmp_path_factory.mktemp("matrix"), simulator_keys) as tenant:
            init_keys(tenant.settings, PASSPHRASE)
            audit.init_checkpoint_key(tenant.settings)
            with tenant.sim.store.transaction() as session:
                audit.write_checkpoint(session, tenant.settings)
            yield tenant


def _problem(response: Any, status: int, type_: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["type"] == f"/problems/{type_}"
    assert body["title"] and body["detail"] and body["instance"]


def test_the_matrix_names_every_api_route(api: ApiTenant) -> None:
    """Each operation in the OpenAPI document is in the matrix, and nothing else is."""
    paths = api.get("/openapi.json", None).json()["paths"]
    served = {
        f"{method.upper()} {path}"
        for path, operations in paths.items()
        if path.startswith(f"{V}/")
        for method in operations
    }
    assert served == {str(route) for route in ROUTES}


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_route_by_role(api: ApiTenant, route: Route) -> None:
    """The role the route needs is let in (2xx or the domain's answer); every other role
    gets 403 and an anonymous caller 401."""
    kwargs = dict(route.kwargs)
    _problem(api.call(None, route.method, route.url, **kwargs), 401, "unauthorized")
    for role in ROLES:
        response = api.call(role, route.method, route.url, **kwargs)
        if route.role in (ANY, role):
            assert response.status_code == route.allowed, (role, response.text)
            if response.status_code >= 400:
                assert response.headers["content-type"].startswith("application/problem+json")
        else:
            _problem(response, 403, "forbidden")
            assert role in response.json()["detail"] or route.role in response.json()["detail"]
