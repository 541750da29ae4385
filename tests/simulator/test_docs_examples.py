"""Microsoft's own example payloads load as scenario resources and are served back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from breakglass.simulator import SimulatorServer, load_scenario
from tests.support.docs_examples import EXAMPLES, MOCKS, WANTED, example_values

TENANT = "cab01047-8ad9-4792-8e42-569340767f1b"


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
