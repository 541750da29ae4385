"""Microsoft's own example payloads load as scenario resources and are served back."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from breakglass.simulator import SimulatorServer, load_scenario

EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "graph-docs-examples"
MOCKS = EXAMPLES / "graph-v1_0-proxy-mocks.json"
TENANT = "cab01047-8ad9-4792-8e42-569340767f1b"
_ROLES = "v1.0/roleManagement/directory/"
WANTED = {
    "v1.0/auditLogs/signIns?$filter=createdDateTime ge * and createdDateTime le *": "signIns",
    "v1.0/auditLogs/directoryAudits": "directoryAudits",
    "v1.0/identity/conditionalAccess/policies": "conditionalAccessPolicies",
    "v1.0/me/authentication/methods": "authenticationMethods",
    _ROLES + "roleAssignmentScheduleInstances": "roleAssignmentScheduleInstances",
    _ROLES + "roleEligibilityScheduleInstances": "roleEligibilityScheduleInstances",
    "v1.0/policies/roleManagementPolicies?$filter=scopeId eq * and scopeType eq *"
    "&$expand=rules": "roleManagementPolicies",
}


def _body(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    # Some doc examples carry trailing commas; Graph's real responses never do.
    return dict(json.loads(re.sub(r",(\s*[}\]])", r"\1", raw)))


def example_values() -> dict[str, list[dict[str, Any]]]:
    mocks = json.loads(MOCKS.read_text(encoding="utf-8"))["mocks"]
    found: dict[str, list[dict[str, Any]]] = {}
    for mock in mocks:
        url = mock["request"]["url"].split("graph.microsoft.com/", 1)[-1]
        if url in WANTED and mock["request"].get("method", "GET") == "GET":
            found[WANTED[url]] = _body(mock["response"]["body"])["value"]
    return found


@pytest.mark.skipif(not MOCKS.exists(), reason=f"{EXAMPLES} is absent (the shared examples folder)")
def test_doc_examples_round_trip(state_dir: Path) -> None:
    """Sign-ins, audits, CA policies, methods, schedule instances and PIM policies from the
    docs load verbatim and come back unchanged (audits and sign-ins within retention)."""
    values = example_values()
    assert set(values) == set(WANTED.values())
    user = "26be570a-ae82-4189-b4e2-a37c6808512d"
    for row in values["signIns"]:
        row["createdDateTime"] = "-1h"
    for row in values["directoryAudits"]:
        row["activityDateTime"] = "-2h"
    scenario = {
        "organization": [{"id": TENANT, "displayName": "Contoso docs", "verifiedDomains": []}],
        "users": [{"id": user, "userPrincipalName": "testaccount1@contoso.com"}],
        **{k: v for k, v in values.items() if k != "authenticationMethods"},
        "authenticationMethods": {user: values["authenticationMethods"]},
    }
    loaded = load_scenario(scenario)
    with SimulatorServer(loaded, state_dir=state_dir) as server:
        headers = {"Authorization": f"Bearer {server.static_token}"}

        def get(path: str, **params: str) -> list[dict[str, Any]]:
            r = httpx.get(f"{server.graph_url}/v1.0/{path}", params=params, headers=headers)
            assert r.status_code == 200, r.text
            return list(r.json()["value"])

        assert (
            get("identity/conditionalAccess/policies")
            == loaded.collections["conditionalAccessPolicies"]
        )
        assert get(f"users/{user}/authentication/methods") == values["authenticationMethods"]
        assert (
            get("roleManagement/directory/roleEligibilityScheduleInstances")
            == values["roleEligibilityScheduleInstances"]
        )
        assert (
            get("roleManagement/directory/roleAssignmentScheduleInstances")
            == values["roleAssignmentScheduleInstances"]
        )
        policies = get(
            "policies/roleManagementPolicies",
            **{"$filter": "scopeId eq '/' and scopeType eq 'Directory'", "$expand": "rules"},
        )
        assert policies == loaded.collections["roleManagementPolicies"]
        assert {r["id"] for r in get("auditLogs/signIns")} == {r["id"] for r in values["signIns"]}
        assert get("auditLogs/directoryAudits") == loaded.collections["directoryAudits"]
