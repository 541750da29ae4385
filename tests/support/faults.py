"""A tenant with known defects and the fault matrix the invariant test runs over it.

``defective_tenant()`` plants failing checks on every collection breakglass reads, so a
fault on any one read could hide a failure. ``READS`` names each read (a route pattern
for the simulator's fault API), what the product calls it and the permission it needs;
``fault_matrix()`` pairs every read with every fault Graph can show on that kind of read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.support.tenant import (
    ADMIN,
    BG1,
    BG2,
    EXCLUSION_GROUP,
    GA,
    PRA,
    active_ga,
    ca_policy,
    clone,
    find,
    gid,
    group,
    healthy_tenant,
    phone,
    pim_policy,
    user,
)

__all__ = [
    "ANSWERED_ANYWAY",
    "CANDIDATE",
    "CONFIG",
    "DIRECT_CANDIDATE",
    "READS",
    "STRAY_GROUP",
    "FaultCase",
    "Read",
    "defective_tenant",
    "fault_matrix",
    "finding_key",
]

#: An undeclared user in the exclusion group (BG-022 stray, BG-023 emergency-like).
CANDIDATE = "33333333-cccc-4ccc-8ccc-000000000001"
#: An undeclared user the all-users policy excludes by id as well as by group.
DIRECT_CANDIDATE = "33333333-cccc-4ccc-8ccc-000000000002"
#: The sensitive roles of the test config (``CONFIG``).
ROLES = (GA, PRA)  # few: the SDK parses each PIM policy and its rules slowly
#: Config overrides for ``defective_tenant`` (``tests.support.sim.merge_toml``).
CONFIG = {"roles": {"sensitive": list(ROLES)}}
ROLE_ADMIN_USER = "33333333-cccc-4ccc-8ccc-000000000003"
STRAY_GROUP = "44444444-dddd-4ddd-8ddd-000000000001"
BG1_UPN = "bg1@contoso.onmicrosoft.com"


def defective_tenant() -> dict[str, Any]:
    """The healthy tenant with failures planted in every collection the checks read."""
    s = clone(healthy_tenant())
    bg1, bg2 = find(s["users"], BG1), find(s["users"], BG2)
    bg1["onPremisesSyncEnabled"] = True  # BG-002
    bg1["signInActivity"]["lastSuccessfulSignInDateTime"] = "-1d"  # BG-008: used, not rotated
    bg2["assignedLicenses"] = [{"skuId": gid(), "disabledPlans": []}]  # BG-010
    bg2["signInActivity"]["lastSuccessfulSignInDateTime"] = "-200d"  # BG-009
    s["authenticationMethods"][BG2].append(phone())  # BG-006
    s["users"] += [
        user(CANDIDATE, "svc-legacy@contoso.com"),
        user(DIRECT_CANDIDATE, "old-admin@contoso.com"),
        user(ROLE_ADMIN_USER, "roles-admin@contoso.com"),
    ]
    exclusion = find(s["groups"], EXCLUSION_GROUP)
    exclusion["isAssignableToRole"] = False  # BG-021
    exclusion["members"].append(CANDIDATE)  # BG-022, BG-023
    s["groups"].append(group("All staff", [BG1, ADMIN], oid=STRAY_GROUP))  # BG-011
    s["conditionalAccessPolicies"] = [
        # BG-023: every enabled all-users policy exempts CANDIDATE and DIRECT_CANDIDATE.
        ca_policy("Require MFA for everyone", exclude_users=[DIRECT_CANDIDATE]),
        # BG-020: applies to bg1 through the stray group, and blocks (critical).
        ca_policy(
            "Block staff outside the office",
            include_users=[],
            include_groups=[STRAY_GROUP],
            exclude_groups=[],
            controls=["block"],
        ),
    ]
    exclusion["members"].append(DIRECT_CANDIDATE)
    s["roleAssignmentScheduleInstances"] = [
        active_ga(BG1),
        active_ga(BG2, endDateTime="+30d"),  # BG-004 (time-bound), so BG-007 fails
        active_ga(ADMIN),  # BG-030: a standing Global Administrator
        active_ga(ROLE_ADMIN_USER, roleDefinitionId=PRA),  # BG-031
    ]
    # BG-032: Privileged Role Administrator activation needs no approval.
    s["roleDefinitions"] = [d for d in s["roleDefinitions"] if d["id"] in ROLES]
    s["roleManagementPolicyAssignments"] = [
        a for a in s["roleManagementPolicyAssignments"] if a["roleDefinitionId"] in ROLES
    ]
    s["roleManagementPolicies"] = [pim_policy(rid, approval=rid != PRA) for rid in ROLES]
    return s


@dataclass(frozen=True)
class Read:
    """One read the product makes: where it goes, what it is called, what it needs."""

    name: str
    #: The route, as a regular expression over the request path and query (``_sim`` faults).
    path: str
    #: Words every error about this read must contain.
    what: str
    permission: str | None
    #: ``page`` (paged collection), ``entity``, ``batch_page``/``batch_entity`` (inside
    #: ``$batch``) or ``batch`` (the ``$batch`` request itself).
    kind: str
    #: Why no check verdict depends on this read (then an unread one need not be an
    #: ``error``); None when verdicts do depend on it.
    no_verdict: str | None = None


READS = (
    Read(
        "organization",
        r"^/v1\.0/organization\?\$select=id,",
        "the organization",
        "Directory.Read.All",
        "page",
    ),
    Read(
        "user",
        rf"/users/{BG1}\?\$select=id,userPrincipalName",
        f"user {BG1_UPN}",
        "User.Read.All",
        "batch_entity",
    ),
    Read(
        "signInActivity",
        rf"/users/{BG1}\?\$select=id,signInActivity",
        f"signInActivity of {BG1_UPN}",
        "AuditLog.Read.All",
        "batch_entity",
    ),
    Read(
        "methods",
        rf"/users/{BG1}/authentication/methods",
        f"authentication methods of {BG1_UPN}",
        "UserAuthenticationMethod.Read.All",
        "batch_page",
    ),
    Read(
        "memberOf",
        rf"/users/{BG1}/transitiveMemberOf",
        f"group memberships of {BG1_UPN}",
        "User.Read.All",
        "batch_page",
    ),
    Read(
        "activeRoles",
        "roleAssignmentScheduleInstances",
        "active role assignments",
        "RoleAssignmentSchedule.Read.Directory",
        "page",
    ),
    Read(
        "eligibleRoles",
        "roleEligibilityScheduleInstances",
        "eligible role assignments",
        "RoleEligibilitySchedule.Read.Directory",
        "page",
        no_verdict="the GA count is active holders only (DESIGN §7); the runbook reads it",
    ),
    Read(
        "roleDefinitions",
        "roleDefinitions",
        "role definitions",
        "RoleManagement.Read.Directory",
        "page",
        no_verdict="built-in role definition ids are their template ids; it gives names only",
    ),
    Read(
        "caPolicies",
        "conditionalAccess/policies",
        "Conditional Access policies",
        "Policy.Read.All",
        "page",
    ),
    Read(
        "pimAssignments",
        "roleManagementPolicyAssignments",
        "PIM policy assignments",
        "RoleManagement.Read.Directory",
        "page",
    ),
    Read(
        "pimPolicy",
        rf"roleManagementPolicies/[^?]*{PRA}",
        f"PIM policy of role {PRA}",
        "RoleManagement.Read.Directory",
        "batch_entity",
    ),
    Read(
        "fido2",
        "authenticationMethodConfigurations/Fido2",
        "FIDO2 method",
        "Policy.Read.All",
        "entity",
    ),
    Read(
        "group",
        rf"/groups/{EXCLUSION_GROUP}\?",
        f"group {EXCLUSION_GROUP}",
        "GroupMember.Read.All",
        "batch_entity",
    ),
    Read(
        "members",
        rf"/groups/{EXCLUSION_GROUP}/transitiveMembers",
        f"members of group {EXCLUSION_GROUP}",
        "GroupMember.Read.All",
        "batch_page",
    ),
    Read(
        "candidate",
        rf"/users/{CANDIDATE}\?",
        f"user {CANDIDATE}",
        "User.Read.All",
        "batch_entity",
    ),
    Read(
        "candidateMemberOf",
        rf"/users/{CANDIDATE}/transitiveMemberOf",
        f"group memberships of {CANDIDATE}",
        "User.Read.All",
        "batch_page",
    ),
    Read("batch", r"^/v1\.0/\$batch", "batch", None, "batch"),
)

_STATUS = {"401": {"status": 401}, "403": {"status": 403}, "500": {"status": 500}}
_BODY = {name: {"body": name} for name in ("truncated", "empty", "html")}
#: The faults each kind of read can show.
FAULTS: dict[str, dict[str, dict[str, Any]]] = {
    "page": {**_STATUS, **_BODY, "no_value": {"body": "no_value"}, "id_only": {"body": "id_only"}},
    "entity": {
        **_STATUS,
        **_BODY,
        "null": {"body": "null"},
        "{}": {"body": "empty_object"},
        "id_only": {"body": "id_only"},
    },
    "batch_entity": {
        **_STATUS,
        "truncated": {"body": "truncated"},
        "html": {"body": "html"},
        "null": {"body": "null"},
        "{}": {"body": "empty_object"},
        "id_only": {"body": "id_only"},
    },
    "batch_page": {
        **_STATUS,
        "truncated": {"body": "truncated"},
        "html": {"body": "html"},
        "null": {"body": "null"},
        "{}": {"body": "empty_object"},
        "no_value": {"body": "no_value"},
        "id_only": {"body": "id_only"},
    },
    "batch": {**_STATUS, **_BODY},
}

#: Wrong-typed and missing properties: (read, label, properties to serve, property named).
WRONG_TYPES: tuple[tuple[str, str, dict[str, Any], str], ...] = (
    ("user", "sync-as-string", {"onPremisesSyncEnabled": "true"}, "onPremisesSyncEnabled"),
    ("user", "licences-as-string", {"assignedLicenses": "E5"}, "assignedLicenses"),
    ("user", "enabled-null", {"accountEnabled": None}, "accountEnabled"),
    (
        "user",
        "bad-timestamp",
        {"lastPasswordChangeDateTime": "yesterday"},
        "lastPasswordChangeDateTime",
    ),
    ("user", "immutable-id-number", {"onPremisesImmutableId": 42}, "onPremisesImmutableId"),
    (
        "signInActivity",
        "bad-timestamp",
        {"signInActivity": {"lastSuccessfulSignInDateTime": "last week"}},
        "lastSuccessfulSignInDateTime",
    ),
    ("candidate", "enabled-as-string", {"accountEnabled": "true"}, "accountEnabled"),
    ("candidate", "type-as-number", {"userType": 7}, "userType"),
    ("group", "assignable-as-string", {"isAssignableToRole": "true"}, "isAssignableToRole"),
)


#: Faults a read survives with every verdict intact, and why.
ANSWERED_ANYWAY = {
    ("organization", "id_only"): "/domains names the initial domain (DESIGN §7)",
}


@dataclass(frozen=True)
class FaultCase:
    """One cell of the matrix: a read, a fault on it and the word its error must contain."""

    read: Read
    label: str
    spec: dict[str, Any]
    #: The property a wrong-typed fault damages (its error names it), else None.
    names: str | None = None

    @property
    def id(self) -> str:
        return f"{self.read.name}-{self.label}"

    @property
    def must_error(self) -> bool:
        """Whether some finding must be an ``error`` naming the read (or the property)."""
        return self.read.no_verdict is None and (self.read.name, self.label) not in ANSWERED_ANYWAY


def fault_matrix() -> list[FaultCase]:
    """Every read × every fault its kind can show, plus the wrong-typed properties."""
    by_name = {r.name: r for r in READS}
    cases = [
        FaultCase(read, label, spec) for read in READS for label, spec in FAULTS[read.kind].items()
    ]
    cases += [
        FaultCase(by_name[name], label, {"set": values}, prop)
        for name, label, values, prop in WRONG_TYPES
    ]
    return cases


def finding_key(finding: dict[str, Any]) -> tuple[str, str, tuple[str, ...]]:
    """What identifies a finding across runs: check, resource and related ids."""
    related = tuple(sorted(r["id"] for r in finding.get("related") or ()))
    return finding["check_id"], finding["resource"]["id"], related
