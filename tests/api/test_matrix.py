"""Every /api/v1 route × every role: allowed calls reach the route, refused ones get 403,
calls without a credential 401 — all as problem+json.

One tenant and one app for the module; each role calls with a service API token made by
``breakglass.access.create_token``. An allowed call answers 2xx or the domain's answer
for the target it names (404 for a review that does not exist, 409 for a test message
with no channel configured), never 401 or 403.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from breakglass import audit
from breakglass.signing import PASSPHRASE_ENV, init_keys
from tests.support.api import ROLES, ApiTenant, api_tenant
from tests.support.tenant import BG1

PASSPHRASE = "correct horse battery staple"
NO = 999_999
ANY = "viewer"  # every role reads

SUBMIT = {
    "operator": "Carol",
    "classification": "emergency",
    "justification": "CA outage",
    "actions": "fixed the policy",
    "root_cause": "a bad policy change",
}
DRILL = {
    "account": "all",
    "starts": "2031-01-01T10:00:00Z",
    "ends": "2031-01-01T11:00:00Z",
    "reason": "quarterly drill",
}


@dataclass(frozen=True)
class Route:
    method: str
    #: The OpenAPI path template this call exercises.
    template: str
    #: The role that may call it (``viewer``: every role).
    role: str
    #: What an allowed call answers.
    allowed: int
    path: str = ""
    kwargs: tuple[tuple[str, Any], ...] = ()

    @property
    def url(self) -> str:
        return self.path or self.template

    def __str__(self) -> str:
        return f"{self.method} {self.template}"


def r(method: str, template: str, role: str, allowed: int, path: str = "", **kw: Any) -> Route:
    return Route(method, template, role, allowed, path, tuple(kw.items()))


V = "/api/v1"
ROUTES = [
    r("GET", f"{V}/status", ANY, 200),
    r("GET", f"{V}/accounts", ANY, 200),
    r("GET", f"{V}/accounts/{{account}}", ANY, 200, f"{V}/accounts/{BG1}"),
    r("GET", f"{V}/findings", ANY, 200),
    r("GET", f"{V}/runs", ANY, 200),
    r("GET", f"{V}/runs/{{run_id}}", ANY, 404, f"{V}/runs/{NO}"),
    r("POST", f"{V}/runs", "operator", 201),
    r("GET", f"{V}/signins", ANY, 200),
    r("GET", f"{V}/reviews", ANY, 200),
    r("GET", f"{V}/reviews/{{review_id}}", ANY, 404, f"{V}/reviews/{NO}"),
    r(
        "POST",
        f"{V}/reviews/{{review_id}}/submit",
        "operator",
        404,
        f"{V}/reviews/{NO}/submit",
        json=SUBMIT,
    ),
    r("POST", f"{V}/reviews/{{review_id}}/approve", "approver", 404, f"{V}/reviews/{NO}/approve"),
    r(
        "POST",
        f"{V}/reviews/{{review_id}}/reopen",
        "approver",
        404,
        f"{V}/reviews/{NO}/reopen",
        json={"comment": "redo"},
    ),
    r("POST", f"{V}/reviews/{{review_id}}/close", "approver", 404, f"{V}/reviews/{NO}/close"),
    r("GET", f"{V}/reviews/{{review_id}}/report.pdf", ANY, 404, f"{V}/reviews/{NO}/report.pdf"),
    r(
        "GET",
        f"{V}/reviews/{{review_id}}/report.manifest.json",
        ANY,
        404,
        f"{V}/reviews/{NO}/report.manifest.json",
    ),
    r("GET", f"{V}/drills", ANY, 200),
    r("POST", f"{V}/drills", "operator", 201, json=DRILL),
    r("GET", f"{V}/runbooks", ANY, 200),
    r("POST", f"{V}/runbooks", "admin", 201),
    r("GET", f"{V}/runbooks/{{release_id}}.pdf", ANY, 404, f"{V}/runbooks/{NO}.pdf"),
    r(
        "GET",
        f"{V}/runbooks/{{release_id}}.manifest.json",
        ANY,
        404,
        f"{V}/runbooks/{NO}.manifest.json",
    ),
    r(
        "POST",
        f"{V}/runbooks/verify",
        ANY,
        200,
        files={"pdf": ("x.pdf", b"not a pdf", "application/pdf")},
    ),
    r("GET", f"{V}/audit", ANY, 200),
    r("GET", f"{V}/audit/verify", ANY, 200),
    r("GET", f"{V}/audit/checkpoints/latest", ANY, 200),
    r("GET", f"{V}/notifications", ANY, 200),
    r(
        "POST",
        f"{V}/notifications/{{outbox_id}}/retry",
        "admin",
        404,
        f"{V}/notifications/{NO}/retry",
    ),
    r("POST", f"{V}/notifications/test", "admin", 409),
    r("GET", f"{V}/tokens", "admin", 200),
    r("POST", f"{V}/tokens", "admin", 201, json={"name": "ci", "role": "viewer"}),
    r("DELETE", f"{V}/tokens/{{token_id}}", "admin", 404, f"{V}/tokens/{NO}"),
]


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
