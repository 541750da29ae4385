"""Service principals and devices as group members, and the tenant's domains."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from breakglass.errors import ScenarioError
from breakglass.simulator import SimulatorServer, load_scenario

SP = "33333333-cccc-4ccc-8ccc-000000000001"
DEVICE = "44444444-dddd-4ddd-8ddd-000000000001"
NESTED = "55555555-eeee-4eee-8eee-000000000001"


def _client(server: SimulatorServer) -> httpx.Client:
    return httpx.Client(
        base_url=server.graph_url,
        headers={"Authorization": f"Bearer {server.static_token}"},
        timeout=30,
    )


def _with_members(demo_raw: dict[str, Any]) -> dict[str, Any]:
    """The demo scenario with a group holding a user, a nested group, an app and a device."""
    raw = copy.deepcopy(demo_raw)
    user_id = raw["users"][0]["id"]
    raw["servicePrincipals"] = [
        {
            "id": SP,
            "appId": "6a3d1c2b-0000-4000-8000-000000000001",
            "displayName": "Backup robot",
            "servicePrincipalType": "Application",
            "accountEnabled": True,
        }
    ]
    raw["devices"] = [
        {
            "id": DEVICE,
            "deviceId": "7b4e2d3c-0000-4000-8000-000000000001",
            "displayName": "Kiosk-07",
            "accountEnabled": True,
            "operatingSystem": "Windows",
        }
    ]
    raw["groups"] = [
        *raw.get("groups", []),
        {"id": NESTED, "displayName": "Inner", "members": [DEVICE]},
        {
            "id": "66666666-ffff-4fff-8fff-000000000001",
            "displayName": "Mixed",
            "isAssignableToRole": True,
            "members": [user_id, SP, NESTED],
        },
    ]
    return raw


def test_group_members_include_service_principals_and_devices(
    make_server: Any, demo_raw: dict[str, Any]
) -> None:
    """/members and /transitiveMembers serve apps and devices with their ``@odata.type``."""
    raw = _with_members(demo_raw)
    server = make_server(**{k: raw[k] for k in ("servicePrincipals", "devices", "groups")})
    with _client(server) as http:
        base = "/v1.0/groups/66666666-ffff-4fff-8fff-000000000001"
        direct = http.get(f"{base}/members?$select=id,displayName,userPrincipalName").json()
        kinds = {m["id"]: m["@odata.type"] for m in direct["value"]}
        assert kinds[SP] == "#microsoft.graph.servicePrincipal"
        assert kinds[NESTED] == "#microsoft.graph.group"
        assert DEVICE not in kinds
        sp = next(m for m in direct["value"] if m["id"] == SP)
        assert sp["displayName"] == "Backup robot" and "userPrincipalName" not in sp
        everyone = http.get(f"{base}/transitiveMembers").json()["value"]
        device = next(m for m in everyone if m["id"] == DEVICE)
        assert device["@odata.type"] == "#microsoft.graph.device"
        assert device["operatingSystem"] == "Windows"


def test_unknown_member_id_is_refused_naming_the_kinds(demo_raw: dict[str, Any]) -> None:
    """A member id that is no user, group, service principal or device is a scenario error."""
    raw = _with_members(demo_raw)
    raw["groups"][-1]["members"].append("77777777-0000-4000-8000-000000000001")
    with pytest.raises(ScenarioError, match="service principal or device"):
        load_scenario(raw)


def test_domains_come_from_the_collection_or_the_organization(
    make_server: Any, demo_raw: dict[str, Any]
) -> None:
    """GET /domains serves ``domains``; without them, the organization's verified domains."""
    server = make_server()
    with _client(server) as http:
        derived = http.get("/v1.0/domains").json()["value"]
    verified = demo_raw["organization"][0]["verifiedDomains"]
    assert {d["id"] for d in derived} == {d["name"] for d in verified}
    initial = next(d for d in verified if d["isInitial"])["name"]
    assert [d["id"] for d in derived if d["isInitial"]] == [initial]

    org = {k: v for k, v in demo_raw["organization"][0].items() if k != "verifiedDomains"}
    domains = [{"id": "fabrikam.onmicrosoft.com", "isInitial": True, "isDefault": True}]
    server = make_server(organization=[org], domains=domains)
    with _client(server) as http:
        r = http.get("/v1.0/domains?$select=id,isInitial")
        assert r.status_code == 200
        assert r.json()["value"] == [{"id": "fabrikam.onmicrosoft.com", "isInitial": True}]
        bad = http.get("/v1.0/domains?$select=isInitialDomain")
        assert bad.status_code == 400
