"""Conditional Access, exclusion-group, privilege, PIM and FIDO2 checks through the real SDK."""

from __future__ import annotations

from typing import Any

import pytest

from breakglass.checks import Severity, Status
from tests.support.findings import findings_for, one
from tests.support.tenant import (
    ADMIN,
    BG1,
    BG2,
    EXCLUSION_GROUP,
    GA,
    SENSITIVE,
    TENANT_ID,
    active_ga,
    ca_policy,
    find,
    group,
    healthy_tenant,
    pim_policy,
    user,
)

SECURITY_ADMIN = "194ae4cb-b126-40b2-bd5b-6091b380977d"
AI_ADMIN = "d2562ede-74db-457e-a7b6-544e236ebb61"


@pytest.fixture
def tenant() -> dict[str, Any]:
    s = healthy_tenant()
    s["conditionalAccessPolicies"] = [
        ca_policy("Block legacy authentication", controls=["block"]),
        ca_policy("Require MFA for all users"),
    ]
    return s


def _run(tenant_factory, scenario, **overrides):
    return tenant_factory(scenario, **overrides).check()


def test_excluded_accounts_pass_bg020_for_every_policy(tenant_factory, tenant) -> None:
    """Accounts excluded through the exclusion group pass BG-020 once per policy, nothing else fails."""
    run = _run(tenant_factory, tenant)
    assert len(findings_for(run, "BG-020")) == 4
    assert all(f.status is Status.PASS for f in findings_for(run, "BG-020"))
    assert run.summary["fail"] == 0 and run.summary["error"] == 0, [
        f for f in run.findings if f.status is not Status.PASS
    ]


@pytest.mark.parametrize(
    ("state", "controls", "severity"),
    [
        ("enabled", ["block"], Severity.CRITICAL),
        ("enabled", ["compliantDevice"], Severity.HIGH),
        ("enabledForReportingButNotEnforced", ["block"], Severity.CRITICAL),
    ],
)
def test_policy_without_exclusion_fails_bg020(
    tenant_factory, tenant, state, controls, severity
) -> None:
    """An enabled or report-only policy that applies fails BG-020; critical when it blocks."""
    policy = ca_policy(
        "Require compliant device", state=state, controls=controls, exclude_groups=[]
    )
    tenant["conditionalAccessPolicies"].append(policy)
    run = _run(tenant_factory, tenant)
    finding = next(f for f in findings_for(run, "BG-020", BG1) if f.related[0].id == policy["id"])
    assert finding.status is Status.FAIL
    assert finding.severity is severity
    assert finding.related[0].name == "Require compliant device"


def test_disabled_policy_is_noted_not_failed(tenant_factory, tenant) -> None:
    """A disabled policy that would apply passes BG-020 with a note."""
    policy = ca_policy("Old block", state="disabled", controls=["block"], exclude_groups=[])
    tenant["conditionalAccessPolicies"].append(policy)
    finding = next(
        f
        for f in findings_for(_run(tenant_factory, tenant), "BG-020", BG2)
        if f.related[0].id == policy["id"]
    )
    assert finding.status is Status.PASS
    assert "disabled" in finding.message and "would apply" in finding.message


def test_role_based_inclusion_and_exclusion(tenant_factory, tenant) -> None:
    """A policy including the GA role applies to the accounts; excluding the role exempts them."""
    include = ca_policy(
        "Admins need compliant device",
        include_users=[],
        include_roles=[GA],
        exclude_groups=[],
        controls=["compliantDevice"],
    )
    exclude = ca_policy(
        "Admins MFA, GA excluded",
        include_users=[],
        include_roles=[GA],
        exclude_roles=[GA],
        exclude_groups=[],
    )
    tenant["conditionalAccessPolicies"] += [include, exclude]
    run = _run(tenant_factory, tenant)
    by_policy = {f.related[0].id: f for f in findings_for(run, "BG-020", BG1)}
    assert by_policy[include["id"]].status is Status.FAIL
    assert by_policy[exclude["id"]].status is Status.PASS


def test_nested_exclusion_group_counts(tenant_factory, tenant) -> None:
    """Exclusion through a group that contains the exclusion group exempts the accounts."""
    parent = group("All exclusions", [EXCLUSION_GROUP], role_assignable=True)
    tenant["groups"].append(parent)
    tenant["conditionalAccessPolicies"].append(ca_policy("Nested", exclude_groups=[parent["id"]]))
    run = _run(tenant_factory, tenant, exclusion_groups=[EXCLUSION_GROUP, parent["id"]])
    assert len(findings_for(run, "BG-020")) == 6  # three policies x two accounts
    assert all(f.status is Status.PASS for f in findings_for(run, "BG-020"))


def test_workload_and_allowed_policies_pass(tenant_factory, tenant) -> None:
    """Workload-identity policies never apply to users; an allowed policy passes with a note."""
    workload = ca_policy(
        "Block risky workloads", workload=True, controls=["block"], exclude_groups=[]
    )
    allowed = ca_policy(
        "Phishing-resistant MFA for emergency accounts", include_users=[BG1, BG2], exclude_groups=[]
    )
    tenant["conditionalAccessPolicies"] += [workload, allowed]
    run = _run(tenant_factory, tenant, allowed_policies=[allowed["id"]])
    by_policy = {f.related[0].id: f for f in findings_for(run, "BG-020", BG1)}
    assert by_policy[workload["id"]].status is Status.PASS
    assert by_policy[allowed["id"]].status is Status.PASS
    assert "allowed" in by_policy[allowed["id"]].message


def test_unknown_policy_state_is_an_error(tenant_factory, tenant) -> None:
    """A policy state the SDK does not know makes BG-020 an error for that policy."""
    policy = ca_policy("From the future", state="enabledForEverythingNew", exclude_groups=[])
    tenant["conditionalAccessPolicies"].append(policy)
    run = _run(tenant_factory, tenant)
    finding = next(f for f in findings_for(run, "BG-020", BG1) if f.related[0].id == policy["id"])
    assert finding.status is Status.ERROR


def test_unreadable_policies_are_errors(tenant_factory, tenant) -> None:
    """Without Policy.Read.All the CA checks are errors naming it, never passes."""
    tenant["withheldPermissions"] = ["Policy.Read.All"]
    run = _run(tenant_factory, tenant)
    for check_id in ("BG-020", "BG-023", "BG-024", "BG-050"):
        assert [f.status for f in findings_for(run, check_id)] == [Status.ERROR], check_id
    assert "Policy.Read.All" in findings_for(run, "BG-020")[0].message


def test_unprotected_exclusion_group_fails_bg021(tenant_factory, tenant) -> None:
    """An exclusion group that is not role-assignable fails BG-021."""
    find(tenant["groups"], EXCLUSION_GROUP)["isAssignableToRole"] = False
    finding = one(_run(tenant_factory, tenant), "BG-021", EXCLUSION_GROUP)
    assert finding.status is Status.FAIL


def test_stray_nested_member_fails_bg022(tenant_factory, tenant) -> None:
    """A service account nested two levels down in the exclusion group fails BG-022 once."""
    svc = "33333333-cccc-4ccc-8ccc-000000000001"
    tenant["users"].append(user(svc, "svc-backup@contoso.onmicrosoft.com"))
    inner = group("Backup operators", [svc])
    tenant["groups"].append(inner)
    find(tenant["groups"], EXCLUSION_GROUP)["members"].append(inner["id"])
    run = _run(tenant_factory, tenant)
    stray = [f for f in findings_for(run, "BG-022") if f.status is Status.FAIL]
    assert len(stray) == 1
    assert stray[0].resource.id == EXCLUSION_GROUP
    assert stray[0].related[0].id == svc


def test_undeclared_exempt_user_fails_bg023(tenant_factory, tenant) -> None:
    """A user excluded from every enabled all-users policy is found without listing all users."""
    old = "44444444-dddd-4ddd-8ddd-000000000001"
    partial = "44444444-dddd-4ddd-8ddd-000000000002"
    tenant["users"] += [
        user(old, "breakglass-old@contoso.onmicrosoft.com"),
        user(partial, "partly-excluded@contoso.com"),
    ]
    for policy in tenant["conditionalAccessPolicies"]:
        policy["conditions"]["users"]["excludeUsers"].append(old)
    tenant["conditionalAccessPolicies"][0]["conditions"]["users"]["excludeUsers"].append(partial)
    t = tenant_factory(tenant)
    run = t.check()
    flagged = [f for f in findings_for(run, "BG-023") if f.status is Status.FAIL]
    assert [f.resource.id for f in flagged] == [old]
    served = " ".join(path for _m, path, _s in t.server.request_log)
    assert "/v1.0/users?" not in served and "/v1.0/users " not in served


def test_role_excluded_user_is_found_but_eligible_only_is_not(tenant_factory, tenant) -> None:
    """Exclusion by an actively held role counts for BG-023; an eligible-only holder is not exempt."""
    sec = "55555555-eeee-4eee-8eee-000000000001"
    tenant["users"].append(user(sec, "secops@contoso.com"))
    tenant["roleAssignmentScheduleInstances"].append(
        active_ga(sec, roleDefinitionId=SECURITY_ADMIN)
    )
    for policy in tenant["conditionalAccessPolicies"]:
        policy["conditions"]["users"]["excludeRoles"] = [SECURITY_ADMIN, GA]
    run = _run(tenant_factory, tenant)
    flagged = {f.resource.id for f in findings_for(run, "BG-023") if f.status is Status.FAIL}
    assert sec in flagged
    assert ADMIN not in flagged  # ADMIN is only eligible for GA


def test_ca_drift_is_reported_against_the_previous_run(tenant_factory, tenant) -> None:
    """BG-024 is skipped without a store, records a baseline, then reports a changed policy."""
    from breakglass.store import Store

    t = tenant_factory(tenant)
    assert one(t.check(), "BG-024").status is Status.SKIPPED
    with Store.open(t.settings.store_url, require_migrated=False) as store:
        store.upgrade()
    first = t.check(store=True)
    assert one(first, "BG-024").status is Status.PASS
    assert "first run" in one(first, "BG-024").message
    policy = tenant["conditionalAccessPolicies"][1]
    import httpx

    patch = {
        "grantControls": {
            "operator": "OR",
            "builtInControls": ["block"],
            "customAuthenticationFactors": [],
            "termsOfUse": [],
        }
    }
    httpx.patch(
        f"{t.server.graph_url}/_sim/resources/conditionalAccessPolicies/{policy['id']}", json=patch
    ).raise_for_status()
    second = t.check(store=True)
    changed = [f for f in findings_for(second, "BG-024") if f.status is Status.FAIL]
    assert [f.resource.id for f in changed] == [policy["id"]]
    assert changed[0].severity is Severity.INFO
    third = t.check(store=True)
    assert [f.status for f in findings_for(third, "BG-024")] == [Status.PASS]


def test_standing_ga_is_flagged_but_activation_is_not(tenant_factory, tenant) -> None:
    """A permanent GA for an ordinary admin fails BG-030; a time-bound activation does not."""
    temp = "66666666-ffff-4fff-8fff-000000000001"
    tenant["users"].append(user(temp, "megan@contoso.com"))
    tenant["roleAssignmentScheduleInstances"] += [
        active_ga(ADMIN),
        active_ga(temp, assignmentType="Activated", startDateTime="-1h", endDateTime="+3h"),
    ]
    run = _run(tenant_factory, tenant)
    flagged = [f for f in findings_for(run, "BG-030") if f.status is Status.FAIL]
    assert [f.resource.id for f in flagged] == [ADMIN]


def test_ga_count_outside_range_fails(tenant_factory, tenant) -> None:
    """More than eight users holding Global Administrator actively fails the BG-030 headcount."""
    for i in range(8):
        uid = f"77777777-0000-4000-8000-00000000000{i}"
        tenant["users"].append(user(uid, f"admin{i}@contoso.com"))
        tenant["roleAssignmentScheduleInstances"].append(
            active_ga(uid, assignmentType="Activated", startDateTime="-1h", endDateTime="+3h")
        )
    run = _run(tenant_factory, tenant)
    headcount = [f for f in findings_for(run, "BG-030", TENANT_ID) if "users hold" in f.message]
    assert len(headcount) == 1
    # The two accounts and eight activations; ADMIN is only eligible and does not count.
    assert headcount[0].status is Status.FAIL and "10 users" in headcount[0].message


def test_standing_sensitive_role_fails_bg031(tenant_factory, tenant) -> None:
    """A permanent Security Administrator assignment fails BG-031 and names the role."""
    tenant["roleAssignmentScheduleInstances"].append(
        active_ga(ADMIN, roleDefinitionId=SECURITY_ADMIN)
    )
    finding = one(_run(tenant_factory, tenant), "BG-031", ADMIN)
    assert finding.status is Status.FAIL
    assert "Security Administrator" in finding.message


def test_lax_pim_rules_fail_bg032(tenant_factory, tenant) -> None:
    """AI Administrator activation without justification/MFA for 8 h fails BG-032 with each reason."""
    tenant["roleManagementPolicies"] = [
        pim_policy(rid, hours=8, justification=False, mfa=False)
        if rid == AI_ADMIN
        else pim_policy(rid)
        for rid in SENSITIVE
    ]
    run = _run(tenant_factory, tenant)
    finding = one(run, "BG-032", AI_ADMIN)
    assert finding.status is Status.FAIL
    for words in ("justification", "MFA", "8 h"):
        assert words in finding.message
    assert one(run, "BG-032", GA).status is Status.PASS


def test_ga_without_approval_fails_bg032(tenant_factory, tenant) -> None:
    """Global Administrator activation without approval fails BG-032."""
    tenant["roleManagementPolicies"] = [pim_policy(rid, approval=rid != GA) for rid in SENSITIVE]
    finding = one(_run(tenant_factory, tenant), "BG-032", GA)
    assert finding.status is Status.FAIL and "approval" in finding.message


def test_pim_without_p2_is_skipped(tenant_factory, tenant) -> None:
    """Without Entra ID P2 the PIM rules are skipped with the reason, not passed."""
    tenant["licenses"] = ["AAD_PREMIUM_P1"]
    assert {f.status for f in findings_for(_run(tenant_factory, tenant), "BG-032")} == {
        Status.SKIPPED
    }


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"state": "disabled"}, Status.FAIL),
        (
            {
                "includeTargets": [
                    {
                        "targetType": "group",
                        "id": "99999999-0000-4000-8000-000000000000",
                        "isRegistrationRequired": False,
                    }
                ]
            },
            Status.FAIL,
        ),
        ({"excludeTargets": [{"targetType": "group", "id": EXCLUSION_GROUP}]}, Status.FAIL),
        (
            {
                "includeTargets": [
                    {"targetType": "group", "id": EXCLUSION_GROUP, "isRegistrationRequired": False}
                ]
            },
            Status.PASS,
        ),
    ],
)
def test_fido2_configuration_bg050(tenant_factory, tenant, change, expected) -> None:
    """BG-050 fails when FIDO2 is disabled, misses or excludes the accounts; passes when targeted."""
    tenant["authenticationMethodConfigurations"][0].update(change)
    assert one(_run(tenant_factory, tenant), "BG-050").status is expected
