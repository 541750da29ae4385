"""DESIGN §7's edge rules, each through the simulator and the real SDK.

Where Graph's data leaves room, a verdict resolves doubt toward a finding, never toward a
silent pass, and never calls "unknown" what Graph did answer.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from breakglass.checks import CheckContext, Severity, Status, run_checks
from breakglass.checks.stored import StoredFacts
from tests.support.findings import findings_for, one
from tests.support.tenant import (
    ADMIN,
    BG1,
    BG2,
    EXCLUSION_GROUP,
    FIDO2_AAGUID,
    GA,
    PRA,
    TENANT_ID,
    active_ga,
    ca_policy,
    find,
    gid,
    group,
    healthy_tenant,
    pim_policy,
    user,
)

SP = "33333333-cccc-4ccc-8ccc-000000000001"
DEVICE = "44444444-dddd-4ddd-8ddd-000000000001"
STRAY = "55555555-eeee-4eee-8eee-000000000001"
FIDO2_CONFIG = "Fido2"


@pytest.fixture
def baseline() -> dict[str, Any]:
    s = healthy_tenant()
    s["conditionalAccessPolicies"] = [ca_policy("Require MFA for all users")]
    return s


def _run(tenant_factory, scenario, **overrides):
    return tenant_factory(scenario, **overrides).check()


def _policy_finding(run, check_id: str, account: str, policy_id: str):
    return next(f for f in findings_for(run, check_id, account) if f.related[0].id == policy_id)


# -- null means Graph's documented default --------------------------------------------------


def test_is_assignable_to_role_null_is_not_role_assignable(tenant_factory, baseline) -> None:
    """``isAssignableToRole: null`` on an exclusion group fails BG-021 instead of erroring."""
    find(baseline["groups"], EXCLUSION_GROUP)["isAssignableToRole"] = None
    finding = one(_run(tenant_factory, baseline), "BG-021", EXCLUSION_GROUP)
    assert finding.status is Status.FAIL
    assert "not role-assignable" in finding.message


def test_sign_in_activity_null_is_never_signed_in(tenant_factory, baseline) -> None:
    """``signInActivity: null`` fails BG-009 as "never signed in"; a recorded drill passes it."""
    from breakglass.graph import take_snapshot

    find(baseline["users"], BG2)["signInActivity"] = None
    tenant = tenant_factory(baseline)
    snapshot = take_snapshot(tenant.settings)
    for stored, expected in (
        (StoredFacts(), Status.FAIL),
        (StoredFacts(drills={BG2: date.today() - timedelta(days=3)}), Status.PASS),
    ):
        ctx = CheckContext(
            settings=tenant.settings, snapshot=snapshot, now=snapshot.taken_at, stored=stored
        )
        finding = one(run_checks(ctx, ["BG-009"]), "BG-009", BG2)
        assert finding.status is expected, finding.message
    fail = one(
        run_checks(CheckContext(tenant.settings, snapshot, snapshot.taken_at)), "BG-009", BG2
    )
    assert "never" in fail.message
    assert (
        one(
            run_checks(CheckContext(tenant.settings, snapshot, snapshot.taken_at)), "BG-008", BG2
        ).status
        is Status.PASS
    )


def test_sync_disabled_without_immutable_id_is_cloud_only_with_a_note(
    tenant_factory, baseline
) -> None:
    """``onPremisesSyncEnabled: false`` with no immutable id passes BG-002 and says so."""
    find(baseline["users"], BG1)["onPremisesSyncEnabled"] = False
    finding = one(_run(tenant_factory, baseline), "BG-002", BG1)
    assert finding.status is Status.PASS
    assert "onPremisesSyncEnabled is false" in finding.message


# -- Conditional Access: roles, grants, deleted objects ------------------------------------


@pytest.mark.parametrize(
    ("instances", "eligible", "status"),
    [
        ([{"directoryScopeId": "/"}], [], Status.PASS),
        (
            [{"directoryScopeId": "/administrativeUnits/9f3a0c7e-1d1b-4c8e-a1f0-1c0de0000001"}],
            [],
            Status.FAIL,
        ),
        ([], [{"directoryScopeId": "/"}], Status.FAIL),
    ],
    ids=["tenant-wide active", "administrative-unit scoped", "eligible only"],
)
def test_only_tenant_wide_active_roles_exclude(
    tenant_factory, baseline, instances, eligible, status
) -> None:
    """An excluded role exempts an account only when held actively at scope ``/``."""
    policy = ca_policy("Block by role", controls=["block"], exclude_groups=[], exclude_roles=[PRA])
    baseline["conditionalAccessPolicies"] = [policy]
    baseline["roleAssignmentScheduleInstances"] += [
        active_ga(BG1, roleDefinitionId=PRA, **extra) for extra in instances
    ]
    baseline["roleEligibilityScheduleInstances"] += [
        {
            "id": gid(),
            "principalId": BG1,
            "roleDefinitionId": PRA,
            "startDateTime": "-10d",
            "endDateTime": None,
            "memberType": "Direct",
            "roleEligibilityScheduleId": gid(),
            **extra,
        }
        for extra in eligible
    ]
    finding = _policy_finding(_run(tenant_factory, baseline), "BG-020", BG1, policy["id"])
    assert finding.status is status, finding.message


def test_only_tenant_wide_active_roles_include(tenant_factory, baseline) -> None:
    """An included role covers an account only when held actively at scope ``/``."""
    policy = ca_policy("MFA for admins", include_users=[], include_roles=[PRA], exclude_groups=[])
    baseline["conditionalAccessPolicies"] = [policy]
    au = "/administrativeUnits/9f3a0c7e-1d1b-4c8e-a1f0-1c0de0000001"
    baseline["roleAssignmentScheduleInstances"] += [
        active_ga(BG1, roleDefinitionId=PRA, directoryScopeId="/"),
        active_ga(BG2, roleDefinitionId=PRA, directoryScopeId=au),
    ]
    run = _run(tenant_factory, baseline)
    assert _policy_finding(run, "BG-020", BG1, policy["id"]).status is Status.FAIL
    assert _policy_finding(run, "BG-020", BG2, policy["id"]).status is Status.PASS


def _unknown_grant(policy: dict[str, Any]) -> dict[str, Any]:
    policy["grantControls"]["builtInControls"] = ["quantumAttestation"]
    return policy


def test_unknown_grant_on_an_applying_policy_is_a_critical_fail(tenant_factory, baseline) -> None:
    """An applying policy with a grant value breakglass does not know fails, assumed to block."""
    policy = _unknown_grant(ca_policy("New control", exclude_groups=[]))
    baseline["conditionalAccessPolicies"] = [policy]
    finding = _policy_finding(_run(tenant_factory, baseline), "BG-020", BG1, policy["id"])
    assert finding.status is Status.FAIL
    assert finding.severity is Severity.CRITICAL
    assert "does not know" in finding.message


def test_unknown_grant_on_an_excluding_policy_passes(tenant_factory, baseline) -> None:
    """A policy that excludes the account passes BG-020 whatever its grant says."""
    policy = _unknown_grant(ca_policy("New control"))
    baseline["conditionalAccessPolicies"] = [policy]
    finding = _policy_finding(_run(tenant_factory, baseline), "BG-020", BG1, policy["id"])
    assert finding.status is Status.PASS, finding.message


def test_unknown_state_is_an_error(tenant_factory, baseline) -> None:
    """A policy state breakglass does not know is an ``error``: it cannot say if it is in force."""
    policy = ca_policy("Future state", state="enabledForSomethingNew", exclude_groups=[])
    baseline["conditionalAccessPolicies"] = [policy]
    finding = _policy_finding(_run(tenant_factory, baseline), "BG-020", BG1, policy["id"])
    assert finding.status is Status.ERROR
    assert "state" in finding.message


def test_deleted_group_named_by_a_policy_is_a_fact_not_an_error(tenant_factory, baseline) -> None:
    """A group a policy excludes that Graph answers 404 for excludes no one, without errors."""
    deleted = "9d1e3c55-0000-4000-8000-00000000dead"
    deleted_user = "9d1e3c55-0000-4000-8000-00000000beef"
    policy = ca_policy(
        "MFA", exclude_groups=[EXCLUSION_GROUP, deleted], exclude_users=[deleted_user]
    )
    baseline["conditionalAccessPolicies"] = [policy]
    run = _run(tenant_factory, baseline)
    assert run.summary["error"] == 0, [f for f in run.findings if f.status is Status.ERROR]
    assert _policy_finding(run, "BG-020", BG1, policy["id"]).status is Status.PASS
    assert all(f.status is Status.PASS for f in findings_for(run, "BG-023"))


def test_deleted_declared_exclusion_group_fails_bg021(tenant_factory, baseline) -> None:
    """A declared exclusion group Graph answers 404 for does not exist: BG-021 fails."""
    missing = "9d1e3c55-0000-4000-8000-00000000f00d"
    baseline["breakglass"]["exclusion_groups"].append(missing)
    run = _run(tenant_factory, baseline)
    finding = one(run, "BG-021", missing)
    assert finding.status is Status.FAIL
    assert "does not exist" in finding.message
    assert not findings_for(run, "BG-022", missing)


# -- exclusion groups -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "considered"),
    [("enabled", True), ("enabledForReportingButNotEnforced", True), ("disabled", False)],
)
def test_groups_excluded_by_live_policies_are_protected(
    tenant_factory, baseline, state, considered
) -> None:
    """BG-021/022 cover groups excluded by enabled and report-only policies, not disabled ones."""
    extra = group("Legacy exclusion", [BG1, ADMIN])
    baseline["groups"].append(extra)
    baseline["conditionalAccessPolicies"].append(
        ca_policy("Legacy", state=state, exclude_groups=[EXCLUSION_GROUP, extra["id"]])
    )
    run = _run(tenant_factory, baseline)
    if considered:
        assert one(run, "BG-021", extra["id"]).status is Status.FAIL
        [stray] = findings_for(run, "BG-022", extra["id"])
        assert stray.status is Status.FAIL and stray.related[0].id == ADMIN
    else:
        assert not findings_for(run, "BG-021", extra["id"])
        assert not findings_for(run, "BG-022", extra["id"])


def test_nested_group_members_are_walked(tenant_factory, baseline) -> None:
    """A nested group is not a stray itself; its undeclared members are."""
    inner = group("Nested", [BG2, ADMIN], role_assignable=True)
    baseline["groups"].append(inner)
    find(baseline["groups"], EXCLUSION_GROUP)["members"] = [BG1, inner["id"]]
    strays = findings_for(_run(tenant_factory, baseline), "BG-022", EXCLUSION_GROUP)
    assert [(f.status, f.related[0].id) for f in strays] == [(Status.FAIL, ADMIN)]


def test_service_principals_and_devices_in_an_exclusion_group_are_strays(
    tenant_factory, baseline
) -> None:
    """A service principal or a device in an exclusion group is a stray member (BG-022)."""
    baseline["servicePrincipals"] = [
        {
            "id": SP,
            "appId": gid(),
            "displayName": "Backup robot",
            "servicePrincipalType": "Application",
        }
    ]
    baseline["devices"] = [
        {"id": DEVICE, "deviceId": gid(), "displayName": "Kiosk-07", "accountEnabled": True}
    ]
    find(baseline["groups"], EXCLUSION_GROUP)["members"] += [SP, DEVICE]
    strays = findings_for(_run(tenant_factory, baseline), "BG-022", EXCLUSION_GROUP)
    assert {(f.status, f.related[0].type, f.related[0].id) for f in strays} == {
        (Status.FAIL, "servicePrincipal", SP),
        (Status.FAIL, "device", DEVICE),
    }
    assert any("Backup robot" in f.message for f in strays)


# -- BG-023 ---------------------------------------------------------------------------------


def test_bg023_counts_enabled_members_only(tenant_factory, baseline) -> None:
    """Guests and disabled users exempt from every policy are not undeclared emergency accounts."""
    guest = user(gid(), "ext_x#EXT#@contoso.onmicrosoft.com", userType="Guest")
    disabled = user(gid(), "old@contoso.com", accountEnabled=False)
    baseline["users"] += [guest, disabled]
    find(baseline["groups"], EXCLUSION_GROUP)["members"] += [guest["id"], disabled["id"]]
    baseline["breakglass"]["exclusion_groups"] = []
    run = _run(tenant_factory, baseline)
    assert [f.status for f in findings_for(run, "BG-023")] == [Status.PASS]


def test_bg023_report_only_policies_give_no_coverage(tenant_factory, baseline) -> None:
    """A user excluded from every enabled policy is flagged even if a report-only one covers it."""
    sneaky = user(STRAY, "svc-sync@contoso.com")
    baseline["users"].append(sneaky)
    baseline["conditionalAccessPolicies"] = [
        ca_policy("MFA", exclude_groups=[EXCLUSION_GROUP], exclude_users=[STRAY]),
        ca_policy("Report-only MFA", state="enabledForReportingButNotEnforced"),
    ]
    finding = one(_run(tenant_factory, baseline), "BG-023", STRAY)
    assert finding.status is Status.FAIL


# -- BG-030 / BG-031 ------------------------------------------------------------------------


def test_group_held_role_counts_for_each_member(tenant_factory, baseline) -> None:
    """A group with a standing role flags each undeclared member; ``related`` names the group."""
    admins = group("PRA holders", [ADMIN, BG1], role_assignable=True)
    baseline["groups"].append(admins)
    baseline["roleAssignmentScheduleInstances"].append(
        active_ga(admins["id"], roleDefinitionId=PRA)
    )
    run = _run(tenant_factory, baseline)
    [finding] = [f for f in findings_for(run, "BG-031") if f.status is Status.FAIL]
    assert finding.resource.id == ADMIN
    assert admins["id"] in [r.id for r in finding.related]
    assert "PRA holders" in finding.message


def test_any_scope_counts_and_is_stated(tenant_factory, baseline) -> None:
    """A standing role at an administrative-unit scope is flagged, and the message says where."""
    au = "/administrativeUnits/9f3a0c7e-1d1b-4c8e-a1f0-1c0de0000001"
    baseline["roleAssignmentScheduleInstances"].append(
        active_ga(ADMIN, roleDefinitionId=PRA, directoryScopeId=au)
    )
    finding = one(_run(tenant_factory, baseline), "BG-031", ADMIN)
    assert finding.status is Status.FAIL
    assert au in finding.message


def test_ga_count_is_distinct_active_users(tenant_factory, baseline) -> None:
    """The GA count: distinct users active directly or via a group, permanent or time-bound."""
    bob, carol = gid(), gid()
    baseline["users"] += [user(bob, "bob@contoso.com"), user(carol, "carol@contoso.com")]
    admins = group("GA holders", [bob, BG1], role_assignable=True)
    baseline["groups"].append(admins)
    baseline["roleAssignmentScheduleInstances"] += [
        active_ga(admins["id"]),
        active_ga(carol, endDateTime="+5d", assignmentType="Activated"),
    ]
    run = _run(tenant_factory, baseline, thresholds={"ga_max": 3})
    counts = [f for f in findings_for(run, "BG-030") if f.resource.type == "tenant"]
    count = next(f for f in counts if "Global Administrator" in f.message and "keep" in f.message)
    assert count.status is Status.FAIL
    assert count.message.startswith("4 users")


# -- BG-006 ---------------------------------------------------------------------------------


def _tap(reason: str, usable: bool) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
        "id": gid(),
        "temporaryAccessPass": None,
        "createdDateTime": "-1d",
        "startDateTime": "+1d" if reason == "NotYetValid" else "-1d",
        "lifetimeInMinutes": 60,
        "isUsableOnce": False,
        "isUsable": usable,
        "methodUsabilityReason": reason,
    }


@pytest.mark.parametrize(
    ("reason", "usable", "status"),
    [
        ("EnabledByPolicy", True, Status.FAIL),
        ("NotYetValid", False, Status.FAIL),
        ("Expired", False, Status.PASS),
        ("OneTimeUsed", False, Status.PASS),
        ("DisabledByPolicy", False, Status.PASS),
    ],
)
def test_temporary_access_pass_fails_while_usable_or_pending(
    tenant_factory, baseline, reason, usable, status
) -> None:
    """A TAP fails BG-006 while usable or not yet valid; expired, used or disabled ones pass."""
    baseline["authenticationMethods"][BG1].append(_tap(reason, usable))
    finding = one(_run(tenant_factory, baseline), "BG-006", BG1)
    assert finding.status is status, finding.message


def test_platform_credential_and_unknown_methods_fail(tenant_factory, baseline) -> None:
    """A platform credential fails BG-006; an unknown method type fails naming its type."""
    baseline["authenticationMethods"][BG1].append(
        {
            "@odata.type": "#microsoft.graph.platformCredentialAuthenticationMethod",
            "id": gid(),
            "displayName": "MacBook",
            "createdDateTime": "-3d",
            "keyStrength": "strong",
            "platform": "macOS",
        }
    )
    baseline["authenticationMethods"][BG2].append(
        {"@odata.type": "#microsoft.graph.telepathyAuthenticationMethod", "id": gid()}
    )
    run = _run(tenant_factory, baseline)
    first, second = one(run, "BG-006", BG1), one(run, "BG-006", BG2)
    assert first.status is Status.FAIL and "platform credential" in first.message
    assert second.status is Status.FAIL
    assert "#microsoft.graph.telepathyAuthenticationMethod" in second.message


# -- BG-008 ---------------------------------------------------------------------------------


def test_bg008_fido2_reregistration_counts_as_rotation(tenant_factory, baseline) -> None:
    """A FIDO2 key registered after the last use rotates the account even with an old password."""
    find(baseline["users"], BG1)["signInActivity"]["lastSuccessfulSignInDateTime"] = "-20d"
    run = _run(tenant_factory, baseline)
    assert one(run, "BG-008", BG1).status is Status.PASS  # key from -10d, password -200d
    baseline["authenticationMethods"][BG1][1]["createdDateTime"] = "-30d"
    assert one(_run(tenant_factory, baseline), "BG-008", BG1).status is Status.FAIL


# -- BG-032 ---------------------------------------------------------------------------------


def test_bg032_approval_without_approvers_fails(tenant_factory, baseline) -> None:
    """Approval required with no approver configured fails BG-032 for that role."""
    policy_id = f"DirectoryRole_{TENANT_ID}_{GA}"
    assert one(_run(tenant_factory, baseline), "BG-032", GA).status is Status.PASS
    baseline["roleManagementPolicies"] = [
        pim_policy(GA, approver=None) if p["id"] == policy_id else p
        for p in baseline["roleManagementPolicies"]
    ]
    finding = one(_run(tenant_factory, baseline), "BG-032", GA)
    assert finding.status is Status.FAIL
    assert "no approver" in finding.message


def test_bg032_reads_the_end_user_assignment_rules_by_id(tenant_factory, baseline) -> None:
    """Admin rules do not satisfy BG-032: only the ``*_EndUser_Assignment`` rules count."""
    policy = find(baseline["roleManagementPolicies"], f"DirectoryRole_{TENANT_ID}_{PRA}")
    for rule in policy["rules"]:
        if rule["id"] == "Expiration_EndUser_Assignment":
            rule["maximumDuration"] = "PT24H"
    policy["rules"].append(
        {
            "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule",
            "id": "Expiration_Admin_Assignment",
            "isExpirationRequired": True,
            "maximumDuration": "PT1H",
            "target": {"caller": "Admin", "operations": ["all"], "level": "Assignment"},
        }
    )
    finding = one(_run(tenant_factory, baseline), "BG-032", PRA)
    assert finding.status is Status.FAIL
    assert "24 h" in finding.message


# -- BG-050 key restrictions ----------------------------------------------------------------


OTHER_AAGUID = "ee882879-721c-4913-9775-3dfcce97072a"


@pytest.mark.parametrize(
    ("enforcement", "aaguids", "refused"),
    [
        ("allow", [FIDO2_AAGUID], {BG2}),
        ("allow", ["00000000-0000-0000-0000-000000000001"], {BG1, BG2}),
        ("block", [FIDO2_AAGUID], {BG1}),
        ("block", ["00000000-0000-0000-0000-000000000001"], set()),
    ],
)
def test_bg050_fails_per_account_whose_keys_are_all_refused(
    tenant_factory, baseline, enforcement, aaguids, refused
) -> None:
    """Enforced AAGUID restrictions that refuse every key of an account fail BG-050 for it."""
    baseline["authenticationMethods"][BG2][1]["aaGuid"] = OTHER_AAGUID
    config = find(baseline["authenticationMethodConfigurations"], FIDO2_CONFIG)
    config["keyRestrictions"] = {
        "isEnforced": True,
        "enforcementType": enforcement,
        "aaGuids": aaguids,
    }
    run = _run(tenant_factory, baseline)
    failed = {f.resource.id: f for f in findings_for(run, "BG-050") if f.status is Status.FAIL}
    assert set(failed) == refused
    for oid, model in ((BG1, "YubiKey 5 NFC"), (BG2, "Feitian BioPass K26")):
        if oid in refused:
            assert failed[oid].related[0].id == FIDO2_CONFIG
            assert model in failed[oid].message


def test_bg050_unenforced_restrictions_refuse_nothing(tenant_factory, baseline) -> None:
    """Key restrictions that are not enforced leave BG-050 passing."""
    config = find(baseline["authenticationMethodConfigurations"], FIDO2_CONFIG)
    config["keyRestrictions"] = {"isEnforced": False, "enforcementType": "allow", "aaGuids": []}
    run = _run(tenant_factory, baseline)
    assert {f.status for f in findings_for(run, "BG-050")} == {Status.PASS}


# -- missing accounts and the initial domain ------------------------------------------------


def test_missing_account_fails_bg001_and_skips_the_rest(tenant_factory, baseline) -> None:
    """A declared account that does not exist fails BG-001; its other account checks skip."""
    baseline["users"] = [u for u in baseline["users"] if u["id"] != BG2]
    find(baseline["groups"], EXCLUSION_GROUP)["members"] = [BG1]
    del baseline["authenticationMethods"][BG2]
    baseline["roleAssignmentScheduleInstances"] = [active_ga(BG1)]
    run = _run(tenant_factory, baseline)
    assert one(run, "BG-001", BG2).status is Status.FAIL
    account_checks = {f"BG-{n:03d}" for n in (*range(2, 12), 20, 50)} - {"BG-007"}
    others = [f for f in run.findings if f.resource.id == BG2 and f.check_id in account_checks]
    assert {f.check_id for f in others} == account_checks
    for finding in others:
        assert finding.status is Status.SKIPPED, finding
        assert "account not found, see BG-001" in finding.message


@pytest.mark.parametrize(
    ("upn", "status"),
    [("bg1@contoso.onmicrosoft.com", Status.PASS), ("bg1@contoso.com", Status.FAIL)],
)
def test_initial_domain_comes_from_domains(tenant_factory, baseline, upn, status) -> None:
    """Without ``verifiedDomains`` on the organization, BG-003 reads ``/domains`` (isInitial)."""
    org = baseline["organization"][0]
    domains = org.pop("verifiedDomains")
    baseline["domains"] = [
        {
            "id": d["name"],
            "authenticationType": "Managed",
            "isDefault": d["isDefault"],
            "isInitial": d["isInitial"],
            "isRoot": True,
            "isVerified": True,
            "supportedServices": ["Email"],
        }
        for d in domains
    ]
    find(baseline["users"], BG1)["userPrincipalName"] = upn
    baseline["breakglass"]["accounts"][0]["upn"] = upn
    finding = one(_run(tenant_factory, baseline), "BG-003", BG1)
    assert finding.status is status, finding.message
    assert "contoso.onmicrosoft.com" in finding.message
