"""Benchmark: how fast the simulator serves a large tenant (20,000 users, 500 CA policies,
200 nested groups). Prints figures; asserts nothing about time (timed tests flake).

    .venv/bin/python bench/bench_simulator.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from breakglass.simulator import SimulatorServer, load_scenario
from tests.support.tenant import large_tenant


def main() -> None:
    import tempfile

    scenario = load_scenario(large_tenant(20_000))
    with (
        tempfile.TemporaryDirectory() as state_dir,
        SimulatorServer(scenario, state_dir=Path(state_dir)) as server,
        httpx.Client(
            base_url=server.graph_url, headers={"Authorization": f"Bearer {server.static_token}"}
        ) as client,
    ):
        target = scenario.collections["users"][-1]["id"]
        client.get(f"/v1.0/users/{target}")
        started = time.perf_counter()
        for _ in range(50):
            client.get(f"/v1.0/users/{target}?$select=id,accountEnabled").raise_for_status()
        per_request = (time.perf_counter() - started) / 50
        started = time.perf_counter()
        count, url = 0, "/v1.0/identity/conditionalAccess/policies"
        while url:
            page = client.get(url).json()
            count += len(page["value"])
            url = page.get("@odata.nextLink", "")
        paging = time.perf_counter() - started
    print(f"user read by id (20,000 users): {per_request * 1000:.1f} ms per request (50 reads)")
    print(f"500 CA policies paged: {paging:.2f} s ({count} policies)")


if __name__ == "__main__":
    main()
