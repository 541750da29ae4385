"""A large tenant (20,000 users, 500 policies, 200 groups) is served with low overhead."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from breakglass.simulator import SimulatorServer, load_scenario

TENANT = "7d3c2b1a-0f9e-4d8c-b7a6-5f4e3d2c1b0a"


def big_scenario() -> dict[str, Any]:
    users = [
        {
            "id": str(uuid.UUID(int=i + 1)),
            "userPrincipalName": f"user{i}@big.onmicrosoft.com",
            "displayName": f"User {i}",
            "accountEnabled": True,
        }
        for i in range(20_000)
    ]
    groups = [
        {
            "id": f"g{i}",
            "displayName": f"Group {i}",
            "members": [users[(i * 100 + j) % 20_000]["id"] for j in range(100)]
            + ([f"g{i + 1}"] if i < 199 else []),
        }
        for i in range(200)
    ]
    policies = [
        {
            "id": f"p{i}",
            "displayName": f"Policy {i}",
            "state": "enabled",
            "conditions": {"users": {"includeUsers": ["All"]}},
        }
        for i in range(500)
    ]
    return {
        "organization": [{"id": TENANT, "displayName": "Big"}],
        "users": users,
        "groups": groups,
        "conditionalAccessPolicies": policies,
    }


def test_large_tenant_per_request_overhead(state_dir: Path) -> None:
    """Per-id reads, nested memberships and full policy paging stay fast at scale."""
    scenario = load_scenario(big_scenario())
    with (
        SimulatorServer(scenario, state_dir=state_dir) as server,
        httpx.Client(
            base_url=server.graph_url, headers={"Authorization": f"Bearer {server.static_token}"}
        ) as client,
    ):
        target = scenario.collections["users"][19_999]["id"]
        client.get(f"/v1.0/users/{target}")
        started = time.perf_counter()
        for _ in range(50):
            assert client.get(f"/v1.0/users/{target}?$select=id,accountEnabled").status_code == 200
        per_request = (time.perf_counter() - started) / 50
        assert per_request < 0.02, f"{per_request * 1000:.1f} ms per user read"
        r = client.get(
            f"/v1.0/users/{scenario.collections['users'][5]['id']}/transitiveMemberOf?$select=id"
        )
        assert len(r.json()["value"]) >= 1
        started = time.perf_counter()
        count, url = 0, "/v1.0/identity/conditionalAccess/policies"
        while url:
            page = client.get(url).json()
            count += len(page["value"])
            url = page.get("@odata.nextLink", "")
        assert count == 500
        assert time.perf_counter() - started < 2
