"""Directory reads: users, groups, memberships, organization, strict query forms."""

from __future__ import annotations

from typing import Any

import httpx

from breakglass.simulator import SimulatorServer

GA = "62e90394-69f5-4237-9190-012177145e10"


def error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message", "innerError"} <= set(body["error"])
    assert {"date", "request-id", "client-request-id"} <= set(body["error"]["innerError"])
    return dict(body["error"])


def test_organization_with_select(client: httpx.Client) -> None:
    """GET /organization returns the tenant with its verified domains."""
    r = client.get("/v1.0/organization?$select=id,displayName,verifiedDomains")
    assert r.status_code == 200
    org = r.json()["value"][0]
    assert set(org) == {"id", "displayName", "verifiedDomains"}
    assert any(
        d["isInitial"] and d["name"] == "contoso.onmicrosoft.com" for d in org["verifiedDomains"]
    )
    assert r.headers["request-id"] and r.headers["client-request-id"]


def test_user_select_returns_only_selected(client: httpx.Client, accounts: dict[str, Any]) -> None:
    """$select returns the selected properties plus id, nulls included."""
    oid = accounts["bg1"]["object_id"]
    r = client.get(f"/v1.0/users/{oid}?$select=accountEnabled,onPremisesImmutableId")
    body = r.json()
    assert r.status_code == 200
    assert {k for k in body if not k.startswith("@")} == {
        "id",
        "accountEnabled",
        "onPremisesImmutableId",
    }
    assert body["accountEnabled"] is True and body["onPremisesImmutableId"] is None


def test_user_without_select_has_graph_default_set(
    client: httpx.Client, accounts: dict[str, Any]
) -> None:
    """Without $select, accountEnabled, signInActivity, onPremises* and licences are absent."""
    body = client.get(f"/v1.0/users/{accounts['bg1']['object_id']}").json()
    for missing in (
        "accountEnabled",
        "signInActivity",
        "onPremisesSyncEnabled",
        "assignedLicenses",
    ):
        assert missing not in body
    assert body["userPrincipalName"] == accounts["bg1"]["upn"]


def test_unknown_select_property_is_400(client: httpx.Client, accounts: dict[str, Any]) -> None:
    """A property the type lacks is Graph's Request_BadRequest naming it."""
    r = client.get(f"/v1.0/users/{accounts['bg1']['object_id']}?$select=id,acountEnabled")
    assert r.status_code == 400
    err = error(r)
    assert err["code"] == "Request_BadRequest"
    assert (
        err["message"]
        == "Could not find a property named 'acountEnabled' on type 'microsoft.graph.user'."
    )


def test_sign_in_activity_by_upn_is_400(client: httpx.Client, accounts: dict[str, Any]) -> None:
    """signInActivity can be selected by object id but not by UPN, as in Graph."""
    bg1 = accounts["bg1"]
    ok = client.get(f"/v1.0/users/{bg1['object_id']}?$select=id,signInActivity")
    assert ok.status_code == 200
    assert ok.json()["signInActivity"]["lastNonInteractiveSignInDateTime"] == "0001-01-01T00:00:00Z"
    r = client.get(f"/v1.0/users/{bg1['upn']}?$select=id,signInActivity")
    assert r.status_code == 400
    assert "Get By Key only supports UserId" in error(r)["message"]
    assert client.get(f"/v1.0/users/{bg1['upn']}?$select=id").status_code == 200


def test_unknown_user_is_404(client: httpx.Client) -> None:
    """An unknown user is 404 Request_ResourceNotFound with Graph's message."""
    r = client.get("/v1.0/users/00000000-0000-0000-0000-000000000000?$select=id")
    assert r.status_code == 404
    err = error(r)
    assert err["code"] == "Request_ResourceNotFound"
    assert err["message"].startswith(
        "Resource '00000000-0000-0000-0000-000000000000' does not exist"
    )


def test_user_filter_forms(client: httpx.Client, accounts: dict[str, Any]) -> None:
    """Users can be found by 'id in (...)' and 'userPrincipalName eq'; other filters are 400."""
    a, b = accounts["bg1"], accounts["bg2"]
    r = client.get(
        "/v1.0/users",
        params={"$filter": f"id in ('{a['object_id']}','{b['object_id']}')", "$select": "id"},
    )
    assert sorted(u["id"] for u in r.json()["value"]) == sorted([a["object_id"], b["object_id"]])
    r = client.get("/v1.0/users", params={"$filter": f"userPrincipalName eq '{a['upn'].upper()}'"})
    assert [u["id"] for u in r.json()["value"]] == [a["object_id"]]
    r = client.get("/v1.0/users", params={"$filter": "accountEnabled eq true"})
    assert r.status_code == 400
    assert error(r)["code"] == "Request_UnsupportedQuery"
    r = client.get("/v1.0/users", params={"$filter": "startswith(displayName,'a')"})
    assert r.status_code == 400


def test_top_above_maximum_is_400(client: httpx.Client) -> None:
    """$top above 999 on directory objects is Graph's Request_UnsupportedQuery."""
    r = client.get("/v1.0/users?$top=1000")
    assert r.status_code == 400
    err = error(r)
    assert err["code"] == "Request_UnsupportedQuery"
    assert "Must be between 1 and 999 inclusive" in err["message"]


def test_transitive_member_of_includes_groups_and_active_roles(
    client: httpx.Client, accounts: dict[str, Any]
) -> None:
    """bg1 is in the exclusion groups and holds GA as a directoryRole with roleTemplateId."""
    oid = accounts["bg1"]["object_id"]
    r = client.get(f"/v1.0/users/{oid}/transitiveMemberOf?$select=id,displayName,roleTemplateId")
    items = r.json()["value"]
    types = {i["@odata.type"] for i in items}
    assert types == {"#microsoft.graph.group", "#microsoft.graph.directoryRole"}
    roles = [i for i in items if i["@odata.type"] == "#microsoft.graph.directoryRole"]
    assert [role["roleTemplateId"] for role in roles] == [GA]
    names = {i["displayName"] for i in items if i["@odata.type"] == "#microsoft.graph.group"}
    assert names == {"CA-Exclusion-EmergencyAccess", "CA-Exclusion-BreakGlass-Legacy"}


def test_eligible_only_role_is_not_a_directory_role(
    client: httpx.Client, accounts: dict[str, Any]
) -> None:
    """bg2 is only eligible for GA, so memberOf holds no directoryRole for it."""
    r = client.get(f"/v1.0/users/{accounts['bg2']['object_id']}/memberOf")
    assert len(r.json()["value"]) >= 1
    assert all(i["@odata.type"] == "#microsoft.graph.group" for i in r.json()["value"])


def test_nested_groups_and_cycles(make_server: Any) -> None:
    """Transitive membership follows nested groups and survives a membership cycle."""
    server: SimulatorServer = make_server()
    tenant = server.tenant
    user = tenant.collections["users"][0]["id"]
    with tenant.lock:
        tenant.collections["groups"] += [
            {"id": "g-a", "displayName": "A", "members": ["g-b"]},
            {"id": "g-b", "displayName": "B", "members": ["g-a", user]},
        ]
        tenant.changed()
    headers = {"Authorization": f"Bearer {server.static_token}"}
    r = httpx.get(
        f"{server.graph_url}/v1.0/users/{user}/transitiveMemberOf?$select=id", headers=headers
    )
    assert {"g-a", "g-b"} <= {i["id"] for i in r.json()["value"]}
    r = httpx.get(
        f"{server.graph_url}/v1.0/groups/g-a/transitiveMembers?$select=id", headers=headers
    )
    assert {i["id"] for i in r.json()["value"]} == {"g-b", user}


def test_group_and_members(client: httpx.Client, demo: Any) -> None:
    """GET /groups/{id} never serves 'members'; members carry @odata.type; transitive nests."""
    legacy = next(
        g
        for g in demo.collections["groups"]
        if g["displayName"] == "CA-Exclusion-BreakGlass-Legacy"
    )
    r = client.get(
        f"/v1.0/groups/{legacy['id']}?$select=id,isAssignableToRole,securityEnabled,mailEnabled,groupTypes,membershipRule"
    )
    assert r.json()["isAssignableToRole"] is False
    assert "members" not in client.get(f"/v1.0/groups/{legacy['id']}").json()
    direct = client.get(f"/v1.0/groups/{legacy['id']}/members?$select=id,displayName").json()[
        "value"
    ]
    assert {i["@odata.type"] for i in direct} == {"#microsoft.graph.user", "#microsoft.graph.group"}
    nested = client.get(
        f"/v1.0/groups/{legacy['id']}/transitiveMembers?$select=id,userPrincipalName"
    ).json()["value"]
    assert "svc-backup@contoso.onmicrosoft.com" in {i.get("userPrincipalName") for i in nested}


def test_unknown_segment_is_400(client: httpx.Client) -> None:
    """An unknown route is Graph's 'Resource not found for the segment'."""
    r = client.get("/v1.0/users/x/foo")
    assert r.status_code == 400
    assert error(r)["message"] == "Resource not found for the segment 'foo'."
    assert client.get("/v1.0//users").status_code == 400


def test_authentication_methods_are_typed(client: httpx.Client, accounts: dict[str, Any]) -> None:
    """Methods carry @odata.type; the API takes no query options."""
    methods = client.get(
        f"/v1.0/users/{accounts['bg1']['object_id']}/authentication/methods"
    ).json()["value"]
    types = {m["@odata.type"] for m in methods}
    assert types == {
        "#microsoft.graph.passwordAuthenticationMethod",
        "#microsoft.graph.fido2AuthenticationMethod",
    }
    fido = next(m for m in methods if "fido2" in m["@odata.type"])
    assert fido["model"] == "YubiKey 5 NFC"
    r = client.get(f"/v1.0/users/{accounts['bg1']['object_id']}/authentication/methods?$select=id")
    assert r.status_code == 400


def test_conditional_access_policies_listed(client: httpx.Client) -> None:
    """The demo's eight CA policies are served with their conditions."""
    r = client.get("/v1.0/identity/conditionalAccess/policies")
    policies = r.json()["value"]
    assert len(policies) == 8
    assert {p["state"] for p in policies} == {
        "enabled",
        "disabled",
        "enabledForReportingButNotEnforced",
    }
    assert (
        client.get(
            "/v1.0/identity/conditionalAccess/policies?$filter=state eq 'enabled'"
        ).status_code
        == 400
    )
