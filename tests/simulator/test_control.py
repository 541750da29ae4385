"""The /_sim control API, stats, and the generated product configuration."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import httpx

from breakglass.config import load_settings
from breakglass.simulator import SimulatorServer, write_config


def test_patch_resource_changes_the_tenant(make_server: Any) -> None:
    """PATCH /_sim/resources merge-patches a CA policy; Graph serves the change."""
    server: SimulatorServer = make_server()
    policy = server.scenario.collections["conditionalAccessPolicies"][0]
    r = httpx.patch(
        f"{server.control_url}/resources/conditionalAccessPolicies/{policy['id']}",
        json={"state": "disabled", "conditions": {"users": {"excludeGroups": []}}},
    )
    assert r.status_code == 200
    served = httpx.get(
        f"{server.graph_url}/v1.0/identity/conditionalAccess/policies",
        headers={"Authorization": f"Bearer {server.static_token}"},
    ).json()["value"]
    changed = next(p for p in served if p["id"] == policy["id"])
    assert changed["state"] == "disabled"
    assert changed["conditions"]["users"]["excludeGroups"] == []
    assert changed["conditions"]["users"]["includeUsers"] == ["All"]
    assert httpx.patch(f"{server.control_url}/resources/users/nope", json={}).status_code == 404
    assert httpx.patch(f"{server.control_url}/resources/nope/x", json={}).status_code == 404


def test_add_and_remove_resources(make_server: Any) -> None:
    """POST adds a resource, DELETE removes it, authentication methods can be replaced."""
    server: SimulatorServer = make_server()
    r = httpx.post(
        f"{server.control_url}/resources/groups", json={"displayName": "New", "members": []}
    )
    [gid] = r.json()["added"]
    assert server.tenant.get("groups", gid) is not None
    assert httpx.delete(f"{server.control_url}/resources/groups/{gid}").status_code == 204
    user = server.scenario.breakglass["accounts"][0]["object_id"]
    r = httpx.patch(
        f"{server.control_url}/resources/authenticationMethods/{user}",
        json=[
            {"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "phoneNumber": "+1 555"}
        ],
    )
    assert r.status_code == 200
    methods = httpx.get(
        f"{server.graph_url}/v1.0/users/{user}/authentication/methods",
        headers={"Authorization": f"Bearer {server.static_token}"},
    ).json()["value"]
    assert [m["@odata.type"] for m in methods] == ["#microsoft.graph.phoneAuthenticationMethod"]


def test_stats_and_request_log(make_server: Any) -> None:
    """Stats count Graph requests per route (including inside $batch) and reset."""
    server: SimulatorServer = make_server()
    headers = {"Authorization": f"Bearer {server.static_token}"}
    httpx.get(f"{server.graph_url}/v1.0/organization", headers=headers)
    httpx.post(
        f"{server.graph_url}/v1.0/$batch",
        headers=headers,
        json={"requests": [{"id": "1", "method": "GET", "url": "/organization"}]},
    )
    stats = httpx.get(f"{server.control_url}/stats").json()
    assert stats["requests"] == 2
    assert stats["by_route"]["GET /v1.0/organization"] == 2
    assert server.request_log[0] == ("GET", "/v1.0/organization", 200)
    assert server.request_count == 2
    httpx.post(f"{server.control_url}/stats/reset")
    assert httpx.get(f"{server.control_url}/stats").json()["requests"] == 0


def test_write_config_is_loadable(server: SimulatorServer, demo: Any, tmp_path: Path) -> None:
    """write_config writes a 0600 TOML that load_settings accepts, with the inventory."""
    path = write_config(server, demo, tmp_path / "conf" / "breakglass.toml")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    settings = load_settings(path, env=False)
    assert settings.tenant.id == server.tenant_id
    assert settings.tenant.graph_url == server.graph_url
    assert settings.credential.client_id == server.client_id
    assert settings.credential.authority == server.authority_url
    assert [a.object_id for a in settings.accounts] == [
        a["object_id"] for a in demo.breakglass["accounts"]
    ]
    assert settings.accounts[0].custodians[0].phone
    assert settings.exclusion_groups == demo.breakglass["exclusion_groups"]
    assert settings.store_url == f"sqlite:///{path.parent.resolve() / 'breakglass.db'}"


def test_info_endpoint(server: SimulatorServer) -> None:
    """GET /_sim describes the running simulator."""
    info = httpx.get(server.control_url).json()
    assert info["graph_url"] == server.graph_url and info["tenant_name"] == "Contoso"


def test_run_serves_in_the_foreground(tmp_path: Path) -> None:
    """run() writes the config, prints the URLs and serves until interrupted."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from breakglass.simulator import scenario_path

    config = tmp_path / "sim.toml"
    code = (
        "from pathlib import Path; from breakglass.simulator import run; "
        f"run(Path({str(scenario_path('minimal'))!r}), 0, Path({str(config)!r}))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stderr=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    try:
        deadline = time.monotonic() + 20
        while not config.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        settings = load_settings(config, env=False)
        assert settings.tenant.name == "Fabrikam"
        r = httpx.get(f"{settings.tenant.graph_url}/_sim")
        assert r.json()["tenant_name"] == "Fabrikam"
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "Graph:" in err and "/_sim" in err
