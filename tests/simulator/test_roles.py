"""Role management: definitions, assignments, schedule instances, PIM policies."""

from __future__ import annotations

from typing import Any

import httpx

GA = "62e90394-69f5-4237-9190-012177145e10"
AI_ADMIN = "d2562ede-74db-457e-a7b6-544e236ebb61"
SCOPE = "scopeId eq '/' and scopeType eq 'DirectoryRole'"


def test_role_definitions_filters(client: httpx.Client) -> None:
    """roleDefinitions filter on templateId and isBuiltIn; $select works."""
    r = client.get(
        "/v1.0/roleManagement/directory/roleDefinitions",
        params={"$filter": f"templateId eq '{GA}'", "$select": "id,displayName,templateId"},
    )
    assert [d["displayName"] for d in r.json()["value"]] == ["Global Administrator"]
    r = client.get("/v1.0/roleManagement/directory/roleDefinitions?$filter=isBuiltIn eq true")
    assert len(r.json()["value"]) == 15
    r = client.get("/v1.0/roleManagement/directory/roleDefinitions?$filter=isBuiltIn eq 'true'")
    assert r.status_code == 400


def test_role_assignments_filter_and_expand(client: httpx.Client, accounts: dict[str, Any]) -> None:
    """roleAssignments filter by role and principal (combined with and) and expand principal."""
    bg1 = accounts["bg1"]["object_id"]
    r = client.get(
        "/v1.0/roleManagement/directory/roleAssignments",
        params={
            "$filter": f"roleDefinitionId eq '{GA}' and principalId eq '{bg1}'",
            "$expand": "principal",
        },
    )
    [item] = r.json()["value"]
    assert item["principal"]["@odata.type"] == "#microsoft.graph.user"
    assert item["principal"]["userPrincipalName"] == accounts["bg1"]["upn"]
    r = client.get("/v1.0/roleManagement/directory/roleAssignments?$expand=members")
    assert r.status_code == 400


def test_schedule_instances_distinguish_permanent_and_time_bound(
    client: httpx.Client, accounts: dict[str, Any]
) -> None:
    """Active GA instances show permanent, time-bound and activated assignments."""
    r = client.get(
        "/v1.0/roleManagement/directory/roleAssignmentScheduleInstances",
        params={
            "$filter": f"roleDefinitionId eq '{GA}' and assignmentType eq 'Assigned'",
            "$expand": "principal",
        },
    )
    items = {i["principalId"]: i for i in r.json()["value"]}
    assert items[accounts["bg1"]["object_id"]]["endDateTime"] is None
    assert items[accounts["bg3"]["object_id"]]["endDateTime"] is not None
    assert all(i["assignmentType"] == "Assigned" for i in items.values())
    assert accounts["bg2"]["object_id"] not in items


def test_eligibility_instances(client: httpx.Client, accounts: dict[str, Any]) -> None:
    """bg2 is GA-eligible; eligibility instances have no assignmentType to filter on."""
    bg2 = accounts["bg2"]["object_id"]
    r = client.get(
        "/v1.0/roleManagement/directory/roleEligibilityScheduleInstances",
        params={"$filter": f"principalId eq '{bg2}'"},
    )
    assert [i["roleDefinitionId"] for i in r.json()["value"]] == [GA]
    r = client.get(
        "/v1.0/roleManagement/directory/roleEligibilityScheduleInstances",
        params={"$filter": "assignmentType eq 'Assigned'"},
    )
    assert r.status_code == 400


def test_role_management_policies_need_scope_filter(client: httpx.Client) -> None:
    """Without scopeId/scopeType the list is 400; with it, rules only under $expand."""
    assert client.get("/v1.0/policies/roleManagementPolicies").status_code == 400
    r = client.get("/v1.0/policies/roleManagementPolicies", params={"$filter": "scopeId eq '/'"})
    assert r.status_code == 400
    plain = client.get("/v1.0/policies/roleManagementPolicies", params={"$filter": SCOPE})
    assert plain.status_code == 200
    assert len(plain.json()["value"]) >= 1
    assert all("rules" not in p for p in plain.json()["value"])
    expanded = client.get(
        "/v1.0/policies/roleManagementPolicies", params={"$filter": SCOPE, "$expand": "rules"}
    ).json()["value"]
    assert len(expanded) == 13
    rule = expanded[0]["rules"][0]
    assert rule["@odata.type"].startswith("#microsoft.graph.unifiedRoleManagementPolicy")
    assert "target" in rule
    directory = client.get(
        "/v1.0/policies/roleManagementPolicies",
        params={"$filter": "scopeId eq '/' and scopeType eq 'Directory'"},
    )
    assert len(directory.json()["value"]) == 13


def test_policy_assignment_leads_to_lax_policy(client: httpx.Client) -> None:
    """The AI Administrator policy (via its assignment) allows 8 h without justification."""
    r = client.get(
        "/v1.0/policies/roleManagementPolicyAssignments",
        params={"$filter": f"{SCOPE} and roleDefinitionId eq '{AI_ADMIN}'"},
    )
    [assignment] = r.json()["value"]
    policy = client.get(
        f"/v1.0/policies/roleManagementPolicies/{assignment['policyId']}?$expand=rules"
    ).json()
    rules = {rule["id"]: rule for rule in policy["rules"]}
    assert rules["Expiration_EndUser_Assignment"]["maximumDuration"] == "PT8H"
    assert rules["Enablement_EndUser_Assignment"]["enabledRules"] == []
    assert client.get("/v1.0/policies/roleManagementPolicyAssignments").status_code == 400


def test_fido2_method_configuration(client: httpx.Client) -> None:
    """The Fido2 configuration is typed and enabled for all users."""
    body = client.get(
        "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/Fido2"
    ).json()
    assert body["@odata.type"] == "#microsoft.graph.fido2AuthenticationMethodConfiguration"
    assert body["state"] == "enabled"
    assert body["includeTargets"][0]["id"] == "all_users"
