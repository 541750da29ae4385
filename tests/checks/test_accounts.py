"""Account checks BG-001 … BG-011 through the real SDK against the simulator."""

from __future__ import annotations

from typing import Any

import pytest

from breakglass.checks import Status
from tests.support.findings import findings_for, one
from tests.support.tenant import (
    ADMIN,
    BG1,
    BG2,
    EXCLUSION_GROUP,
    GA,
    clone,
    fido2,
    find,
    gid,
    healthy_tenant,
    password,
    phone,
)

ACCOUNT_CHECKS = [f"BG-{n:03d}" for n in range(1, 12) if n != 7]


@pytest.fixture(scope="module")
def baseline() -> dict[str, Any]:
    return healthy_tenant()


def test_healthy_tenant_passes_every_account_check(tenant_factory, baseline) -> None:
    """A tenant with two healthy accounts passes BG-001 … BG-011 for both, with no error."""
    run = tenant_factory(baseline).check()
    for check_id in ACCOUNT_CHECKS:
        for oid in (BG1, BG2):
            finding = one(run, check_id, oid)
            assert finding.status is Status.PASS, finding
    assert one(run, "BG-007").status is Status.PASS
    assert run.summary["error"] == 0 and run.summary["fail"] == 0


def _run(tenant_factory, scenario, **overrides):
    return tenant_factory(scenario, **overrides).check()


def test_disabled_account_fails_bg001(tenant_factory, baseline) -> None:
    """accountEnabled false fails BG-001 for that account only."""
    s = clone(baseline)
    find(s["users"], BG2)["accountEnabled"] = False
    run = _run(tenant_factory, s)
    assert one(run, "BG-001", BG2).status is Status.FAIL
    assert "disabled" in one(run, "BG-001", BG2).message
    assert one(run, "BG-001", BG1).status is Status.PASS


def test_missing_account_fails_bg001_and_skips_the_rest(tenant_factory, baseline) -> None:
    """A declared account that does not exist fails BG-001; its other checks are skipped, not passed."""
    s = clone(baseline)
    s["users"] = [u for u in s["users"] if u["id"] != BG2]
    s["roleAssignmentScheduleInstances"] = [
        i for i in s["roleAssignmentScheduleInstances"] if i["principalId"] != BG2
    ]
    del s["authenticationMethods"][BG2]
    s["groups"][0]["members"] = [BG1]
    run = _run(tenant_factory, s)
    assert one(run, "BG-001", BG2).status is Status.FAIL
    for check_id in ("BG-002", "BG-003", "BG-004", "BG-005", "BG-006", "BG-008", "BG-009"):
        finding = one(run, check_id, BG2)
        assert finding.status is Status.SKIPPED, finding
        assert finding.message.endswith("account not found, see BG-001")
    for check_id in ("BG-010", "BG-011", "BG-020"):
        assert one(run, check_id, BG2).status is Status.SKIPPED
    assert one(run, "BG-007").status is Status.FAIL


def test_withheld_user_read_is_an_error_naming_the_permission(tenant_factory, baseline) -> None:
    """Without User.Read.All (or Directory.Read.All) the account checks are errors naming it."""
    s = clone(baseline)
    s["withheldPermissions"] = ["User.Read.All", "Directory.Read.All"]
    run = _run(tenant_factory, s)
    finding = one(run, "BG-001", BG1)
    assert finding.status is Status.ERROR
    assert "User.Read.All" in finding.message
    assert [f.status for f in findings_for(run, "BG-010")] == [Status.ERROR, Status.ERROR]


@pytest.mark.parametrize(
    ("field", "value"), [("onPremisesSyncEnabled", True), ("onPremisesImmutableId", "aGVsbG8=")]
)
def test_synced_account_fails_bg002(tenant_factory, baseline, field, value) -> None:
    """A synchronised account (sync flag or immutable id) fails BG-002."""
    s = clone(baseline)
    find(s["users"], BG1)[field] = value
    run = _run(tenant_factory, s)
    assert one(run, "BG-002", BG1).status is Status.FAIL
    assert one(run, "BG-002", BG2).status is Status.PASS


def test_custom_domain_fails_bg003(tenant_factory, baseline) -> None:
    """An account on a custom domain fails BG-003 and names the initial domain."""
    s = clone(baseline)
    find(s["users"], BG2)["userPrincipalName"] = "bg2@contoso.com"
    s["breakglass"]["accounts"][1]["upn"] = "bg2@contoso.com"
    finding = one(_run(tenant_factory, s), "BG-003", BG2)
    assert finding.status is Status.FAIL
    assert "contoso.onmicrosoft.com" in finding.message


def test_unreadable_organization_is_a_bg003_error(tenant_factory, baseline) -> None:
    """Without the organization (Directory.Read.All withheld) BG-003 is an error, not a pass."""
    s = clone(baseline)
    s["withheldPermissions"] = ["Directory.Read.All"]
    finding = one(_run(tenant_factory, s), "BG-003", BG1)
    assert finding.status is Status.ERROR
    assert "Directory.Read.All" in finding.message


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"endDateTime": "+30d"}, "time-bound"),
        ({"memberType": "Group"}, "group"),
        ({"assignmentType": "Activated", "endDateTime": None}, "activation"),
        ({"directoryScopeId": "/administrativeUnits/1"}, "scoped"),
    ],
)
def test_non_permanent_ga_fails_bg004(tenant_factory, baseline, change, words) -> None:
    """Time-bound, group-held, activated or scoped GA fails BG-004 with the reason."""
    s = clone(baseline)
    inst = next(i for i in s["roleAssignmentScheduleInstances"] if i["principalId"] == BG1)
    inst.update(change)
    finding = one(_run(tenant_factory, s), "BG-004", BG1)
    assert finding.status is Status.FAIL
    assert words in finding.message


def test_eligible_only_ga_fails_bg004(tenant_factory, baseline) -> None:
    """An account that is only PIM-eligible for GA fails BG-004 and BG-007 counts it out."""
    s = clone(baseline)
    s["roleAssignmentScheduleInstances"] = [
        i for i in s["roleAssignmentScheduleInstances"] if i["principalId"] != BG2
    ]
    s["roleAssignments"] = [a for a in s["roleAssignments"] if a["principalId"] != BG2]
    s["roleEligibilityScheduleInstances"].append(
        {
            "id": gid(),
            "principalId": BG2,
            "roleDefinitionId": GA,
            "directoryScopeId": "/",
            "startDateTime": "-10d",
            "endDateTime": None,
            "memberType": "Direct",
            "roleEligibilityScheduleId": gid(),
        }
    )
    run = _run(tenant_factory, s)
    assert one(run, "BG-004", BG2).status is Status.FAIL
    assert "eligible" in one(run, "BG-004", BG2).message
    assert one(run, "BG-007").status is Status.FAIL


def test_unknown_member_type_is_a_bg004_error(tenant_factory, baseline) -> None:
    """A memberType value breakglass does not know makes BG-004 an error, never a pass."""
    s = clone(baseline)
    next(i for i in s["roleAssignmentScheduleInstances"] if i["principalId"] == BG1)[
        "memberType"
    ] = "Federated"
    assert one(_run(tenant_factory, s), "BG-004", BG1).status is Status.ERROR


def test_withheld_role_schedule_permission_is_a_bg004_error(tenant_factory, baseline) -> None:
    """Without RoleAssignmentSchedule.Read.Directory BG-004 is an error naming it."""
    s = clone(baseline)
    s["withheldPermissions"] = ["RoleAssignmentSchedule.Read.Directory"]
    run = _run(tenant_factory, s)
    finding = one(run, "BG-004", BG1)
    assert finding.status is Status.ERROR
    assert "RoleAssignmentSchedule.Read.Directory" in finding.message
    assert one(run, "BG-007").status is Status.ERROR


def test_tenant_without_p2_reads_standing_assignments(tenant_factory, baseline) -> None:
    """Without Entra ID P2 (no PIM) the plain role assignments prove a standing GA."""
    s = clone(baseline)
    s["licenses"] = ["AAD_PREMIUM_P1"]
    run = _run(tenant_factory, s)
    assert one(run, "BG-004", BG1).status is Status.PASS


def test_no_phishing_resistant_method_fails_bg005(tenant_factory, baseline) -> None:
    """Only password and phone registered fails BG-005."""
    s = clone(baseline)
    s["authenticationMethods"][BG1] = [password(), phone()]
    run = _run(tenant_factory, s)
    assert one(run, "BG-005", BG1).status is Status.FAIL
    assert one(run, "BG-006", BG1).status is Status.FAIL
    assert "phone" in one(run, "BG-006", BG1).message


def test_certificate_method_counts_as_phishing_resistant(tenant_factory, baseline) -> None:
    """An x509 certificate method (absent from the SDK's v1.0 model) satisfies BG-005."""
    s = clone(baseline)
    s["authenticationMethods"][BG1] = [
        password(),
        {
            "@odata.type": "#microsoft.graph.x509CertificateAuthenticationMethod",
            "id": gid(),
            "createdDateTime": "-5d",
            "subjectName": "CN=bg1",
        },
    ]
    run = _run(tenant_factory, s)
    assert one(run, "BG-005", BG1).status is Status.PASS
    assert one(run, "BG-006", BG1).status is Status.PASS


def test_withheld_method_permission_is_an_error(tenant_factory, baseline) -> None:
    """Without UserAuthenticationMethod.Read.All BG-005/006 are errors naming it."""
    s = clone(baseline)
    s["withheldPermissions"] = ["UserAuthenticationMethod.Read.All"]
    run = _run(tenant_factory, s)
    for check_id in ("BG-005", "BG-006"):
        finding = one(run, check_id, BG1)
        assert finding.status is Status.ERROR
        assert "UserAuthenticationMethod.Read.All" in finding.message


@pytest.mark.parametrize(
    ("usable", "reason", "expected"),
    [(True, "EnabledByPolicy", Status.FAIL), (False, "Expired", Status.PASS)],
)
def test_temporary_access_pass_counts_only_while_usable(
    tenant_factory, baseline, usable, reason, expected
) -> None:
    """An active TAP fails BG-006; an expired one does not."""
    s = clone(baseline)
    s["authenticationMethods"][BG2].append(
        {
            "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
            "id": gid(),
            "createdDateTime": "-1h",
            "startDateTime": "-1h",
            "lifetimeInMinutes": 60,
            "isUsableOnce": True,
            "isUsable": usable,
            "methodUsabilityReason": reason,
        }
    )
    assert one(_run(tenant_factory, s), "BG-006", BG2).status is expected


def test_unknown_method_type_fails_bg006(tenant_factory, baseline) -> None:
    """A method type breakglass does not know fails BG-006 (DESIGN §7 edge rules), never passes."""
    s = clone(baseline)
    s["authenticationMethods"][BG2].append(
        {"@odata.type": "#microsoft.graph.telepathyAuthenticationMethod", "id": gid()}
    )
    run = _run(tenant_factory, s)
    assert one(run, "BG-006", BG2).status is Status.FAIL
    assert one(run, "BG-005", BG2).status is Status.PASS


def test_sign_in_after_last_rotation_fails_bg008(tenant_factory, baseline) -> None:
    """A successful sign-in after the last credential change fails BG-008."""
    s = clone(baseline)
    s["authenticationMethods"][BG1] = [password(), fido2(created="-60d")]
    find(s["users"], BG1)["signInActivity"]["lastSuccessfulSignInDateTime"] = "-2d"
    finding = one(_run(tenant_factory, s), "BG-008", BG1)
    assert finding.status is Status.FAIL
    assert "signed in successfully" in finding.message


def test_withheld_audit_log_is_an_error_for_sign_in_checks(tenant_factory, baseline) -> None:
    """Without AuditLog.Read.All BG-008 and BG-009 are errors naming it."""
    s = clone(baseline)
    s["withheldPermissions"] = ["AuditLog.Read.All"]
    run = _run(tenant_factory, s)
    for check_id in ("BG-008", "BG-009"):
        finding = one(run, check_id, BG1)
        assert finding.status is Status.ERROR
        assert "AuditLog.Read.All" in finding.message
    assert one(run, "BG-001", BG1).status is Status.PASS


def test_tenant_without_p1_skips_sign_in_checks(tenant_factory, baseline) -> None:
    """Without Entra ID P1 signInActivity is unlicensed: BG-009 is skipped with the reason."""
    s = clone(baseline)
    s["licenses"] = []
    finding = one(_run(tenant_factory, s), "BG-009", BG1)
    assert finding.status is Status.SKIPPED


def test_never_validated_account_fails_bg009(tenant_factory, baseline) -> None:
    """No successful sign-in within 90 days fails BG-009; a recorded drill would pass it."""
    s = clone(baseline)
    find(s["users"], BG2)["signInActivity"] = {
        "lastSignInDateTime": "-5d",
        "lastSuccessfulSignInDateTime": "",
        "lastNonInteractiveSignInDateTime": "0001-01-01T00:00:00Z",
    }
    finding = one(_run(tenant_factory, s), "BG-009", BG2)
    assert finding.status is Status.FAIL
    assert "never" in finding.message


def test_licensed_account_fails_bg010(tenant_factory, baseline) -> None:
    """An assigned licence fails BG-010."""
    s = clone(baseline)
    find(s["users"], BG1)["assignedLicenses"] = [{"skuId": gid(), "disabledPlans": []}]
    assert one(_run(tenant_factory, s), "BG-010", BG1).status is Status.FAIL


def test_nested_stray_group_fails_bg011(tenant_factory, baseline) -> None:
    """Membership of another group, even nested, fails BG-011 and names the group."""
    s = clone(baseline)
    inner, outer = gid(), gid()
    s["groups"] += [
        {
            "id": inner,
            "displayName": "All Staff",
            "isAssignableToRole": False,
            "securityEnabled": True,
            "mailEnabled": False,
            "groupTypes": [],
            "members": [BG1, ADMIN],
        },
        {
            "id": outer,
            "displayName": "Everyone-Licensed",
            "isAssignableToRole": False,
            "securityEnabled": True,
            "mailEnabled": False,
            "groupTypes": [],
            "members": [inner],
        },
    ]
    finding = one(_run(tenant_factory, s), "BG-011", BG1)
    assert finding.status is Status.FAIL
    assert {r.id for r in finding.related} == {inner, outer}
    assert EXCLUSION_GROUP not in {r.id for r in finding.related}


def test_throttling_once_is_retried_and_loses_nothing(tenant_factory, baseline) -> None:
    """A 429 with Retry-After on the batch is retried; the run is complete and clean."""
    s = clone(baseline)
    s["faults"] = [{"path": r"/\$batch", "status": 429, "count": 1, "retry_after": 1}]
    run = _run(tenant_factory, s)
    assert run.summary["error"] == 0 and run.summary["fail"] == 0


def test_persistent_503_is_an_error_never_a_pass(tenant_factory, baseline) -> None:
    """A 503 that outlasts the retries makes the dependent checks errors."""
    s = clone(baseline)
    s["faults"] = [
        {"path": "roleAssignmentScheduleInstances", "status": 503, "count": 10, "retry_after": 1}
    ]
    run = _run(tenant_factory, s)
    assert one(run, "BG-004", BG1).status is Status.ERROR
    assert one(run, "BG-001", BG1).status is Status.PASS


def test_empty_pages_are_followed(tenant_factory, baseline) -> None:
    """Empty pages that still carry a nextLink do not end the collection early."""
    s = clone(baseline)
    s["faults"] = [{"path": "roleAssignmentScheduleInstances", "empty_pages": True, "count": 1}]
    run = _run(tenant_factory, s)
    assert one(run, "BG-004", BG1).status is Status.PASS


def test_throttled_batch_item_is_retried(tenant_factory, baseline) -> None:
    """A 429 on one request inside the $batch is retried by breakglass itself."""
    s = clone(baseline)
    s["faults"] = [
        {
            "path": f"/users/{BG1}/authentication/methods",
            "status": 429,
            "count": 1,
            "retry_after": 1,
        }
    ]
    run = _run(tenant_factory, s)
    assert one(run, "BG-005", BG1).status is Status.PASS


def test_accepted_risk_mutes_until_it_expires(tenant_factory, baseline) -> None:
    """A live accepted risk mutes the failure; an expired one no longer does and says so."""
    s = clone(baseline)
    find(s["users"], BG1)["assignedLicenses"] = [{"skuId": gid(), "disabledPlans": []}]
    find(s["users"], BG2)["assignedLicenses"] = [{"skuId": gid(), "disabledPlans": []}]
    risks = [
        {
            "check_id": "BG-010",
            "resource_id": BG1,
            "reason": "mailbox for alerts",
            "owner": "ciso",
            "expires": "2999-01-01",
        },
        {
            "check_id": "BG-010",
            "resource_id": BG2,
            "reason": "legacy",
            "owner": "ciso",
            "expires": "2001-01-01",
        },
    ]
    run = tenant_factory(s, accepted_risks=risks).check()
    assert one(run, "BG-010", BG1).status is Status.MUTED
    expired = one(run, "BG-010", BG2)
    assert expired.status is Status.FAIL and "expired" in expired.message
