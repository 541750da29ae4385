"""A large tenant (thousands of users, 500 policies, 200 nested groups) is served correctly.

How fast is measured by ``bench/bench_simulator.py``, not here: timed tests flake.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from breakglass.simulator import SimulatorServer, load_scenario
from tests.support.tenant import large_tenant


def test_large_tenant_reads_and_pages(state_dir: Path) -> None:
    """Per-id reads, nested memberships and full policy paging answer correctly at scale."""
    scenario = load_scenario(large_tenant(2_000))
    with (
        SimulatorServer(scenario, state_dir=state_dir) as server,
        httpx.Client(
            base_url=server.graph_url, headers={"Authorization": f"Bearer {server.static_token}"}
        ) as client,
    ):
        target = scenario.collections["users"][-1]["id"]
        read = client.get(f"/v1.0/users/{target}?$select=id,accountEnabled")
        assert read.status_code == 200
        assert read.json() == {
            "@odata.context": read.json()["@odata.context"],
            "id": target,
            "accountEnabled": True,
        }
        r = client.get(
            f"/v1.0/users/{scenario.collections['users'][5]['id']}/transitiveMemberOf?$select=id"
        )
        assert len(r.json()["value"]) >= 1
        count, url = 0, "/v1.0/identity/conditionalAccess/policies"
        while url:
            page = client.get(url).json()
            count += len(page["value"])
            url = page.get("@odata.nextLink", "")
        assert count == 500
