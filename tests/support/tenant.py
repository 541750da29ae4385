"""Build simulator scenarios for tests: a healthy baseline tenant, then plant defects.

The resources are Graph-shaped JSON, exactly what the simulator serves; tests change them
to plant a defect and then run the real product against the simulator.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from breakglass.config import SENSITIVE_ROLES

TENANT_ID = "6babcaad-604b-40ac-a9d7-9fd97c0b779f"
GA = "62e90394-69f5-4237-9190-012177145e10"
PRA = "e8611ab8-c189-46e8-94e1-60213ab1f814"
EXCLUSION_GROUP = "0b6f0f7e-5f9a-4c49-9d0a-6f1b8a1e0001"
BG1 = "11111111-aaaa-4aaa-8aaa-000000000001"
BG2 = "11111111-aaaa-4aaa-8aaa-000000000002"
ADMIN = "22222222-bbbb-4bbb-8bbb-000000000001"
FIDO2_AAGUID = "cb69481e-8ff7-4039-93ec-0a2729a154a8"


def gid() -> str:
    return str(uuid.uuid4())


def user(oid: str, upn: str, **extra: Any) -> dict[str, Any]:
    base = {
        "id": oid,
        "userPrincipalName": upn,
        "displayName": upn.split("@")[0],
        "accountEnabled": True,
        "onPremisesSyncEnabled": None,
        "onPremisesImmutableId": None,
        "lastPasswordChangeDateTime": "-200d",
        "createdDateTime": "-400d",
        "assignedLicenses": [],
        "userType": "Member",
        "signInActivity": {
            "lastSignInDateTime": "-20d",
            "lastSuccessfulSignInDateTime": "-20d",
            "lastNonInteractiveSignInDateTime": "0001-01-01T00:00:00Z",
        },
    }
    base.update(extra)
    return base


def fido2(model: str = "YubiKey 5 NFC", created: str = "-10d") -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.fido2AuthenticationMethod",
        "id": gid(),
        "displayName": model,
        "createdDateTime": created,
        "aaGuid": FIDO2_AAGUID,
        "model": model,
        "attestationCertificates": [],
        "attestationLevel": "attested",
    }


def password() -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.passwordAuthenticationMethod",
        "id": "28c10230-6103-485e-b985-444c60001490",
        "password": None,
        "createdDateTime": "-200d",
    }


def phone() -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.phoneAuthenticationMethod",
        "id": "3179e48a-750b-4051-897c-87b9720928f7",
        "phoneNumber": "+1 2065555555",
        "phoneType": "mobile",
        "smsSignInState": "notAllowedByPolicy",
    }


def active_ga(principal: str, **extra: Any) -> dict[str, Any]:
    base = {
        "id": gid(),
        "principalId": principal,
        "roleDefinitionId": GA,
        "directoryScopeId": "/",
        "appScopeId": None,
        "startDateTime": "-400d",
        "endDateTime": None,
        "assignmentType": "Assigned",
        "memberType": "Direct",
        "roleAssignmentOriginId": gid(),
        "roleAssignmentScheduleId": gid(),
    }
    base.update(extra)
    return base


#: The sensitive roles of DESIGN §7 (template id → name), as the product defaults them.
SENSITIVE = dict(SENSITIVE_ROLES)


def approval_stage(approver: str) -> dict[str, Any]:
    """One PIM approval stage with a single user as primary approver (Graph's shape)."""
    return {
        "approvalStageTimeOutInDays": 1,
        "isApproverJustificationRequired": True,
        "escalationTimeInMinutes": 0,
        "isEscalationEnabled": False,
        "primaryApprovers": [
            {"@odata.type": "#microsoft.graph.singleUser", "userId": approver, "description": None}
        ],
        "escalationApprovers": [],
    }


def pim_policy(
    role_id: str,
    *,
    hours: int = 4,
    justification: bool = True,
    mfa: bool = True,
    approval: bool = True,
    approver: str | None = ADMIN,
) -> dict[str, Any]:
    """A PIM role management policy with activation (EndUser/Assignment) rules.

    When ``approval`` is on, ``approver`` (a user id; None for nobody) approves activations.
    """
    approver = approver if approval else None
    pid = f"DirectoryRole_{TENANT_ID}_{role_id}"
    target = {
        "caller": "EndUser",
        "operations": ["all"],
        "level": "Assignment",
        "inheritableSettings": [],
        "enforcedSettings": [],
    }
    enabled = [
        r for r, on in (("MultiFactorAuthentication", mfa), ("Justification", justification)) if on
    ]
    return {
        "id": pid,
        "displayName": "DirectoryRole",
        "description": "DirectoryRole",
        "isOrganizationDefault": False,
        "scopeId": "/",
        "scopeType": "DirectoryRole",
        "lastModifiedDateTime": None,
        "rules": [
            {
                "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule",
                "id": "Expiration_EndUser_Assignment",
                "isExpirationRequired": True,
                "maximumDuration": f"PT{hours}H",
                "target": target,
            },
            {
                "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyEnablementRule",
                "id": "Enablement_EndUser_Assignment",
                "enabledRules": enabled,
                "target": target,
            },
            {
                "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyApprovalRule",
                "id": "Approval_EndUser_Assignment",
                "target": target,
                "setting": {
                    "isApprovalRequired": approval,
                    "isApprovalRequiredForExtension": False,
                    "isRequestorJustificationRequired": True,
                    "approvalMode": "SingleStage",
                    "approvalStages": [approval_stage(approver)] if approver else [],
                },
            },
        ],
    }


def healthy_tenant() -> dict[str, Any]:
    """Two healthy emergency accounts, one ordinary admin, one exclusion group."""
    accounts = [
        (BG1, "bg1@contoso.onmicrosoft.com", "Safe A, HQ vault"),
        (BG2, "bg2@contoso.onmicrosoft.com", "Safe B, DR site"),
    ]
    users = [user(oid, upn) for oid, upn, _ in accounts]
    users.append(
        user(ADMIN, "alice@contoso.com", assignedLicenses=[{"skuId": gid(), "disabledPlans": []}])
    )
    return {
        "organization": [
            {
                "id": TENANT_ID,
                "displayName": "Contoso",
                "verifiedDomains": [
                    {
                        "name": "contoso.onmicrosoft.com",
                        "isInitial": True,
                        "isDefault": False,
                        "type": "Managed",
                        "capabilities": "Email, OfficeCommunicationsOnline",
                    },
                    {
                        "name": "contoso.com",
                        "isInitial": False,
                        "isDefault": True,
                        "type": "Managed",
                        "capabilities": "Email",
                    },
                ],
            }
        ],
        "users": users,
        "groups": [
            {
                "id": EXCLUSION_GROUP,
                "displayName": "CA-Exclusion-EmergencyAccess",
                "isAssignableToRole": True,
                "securityEnabled": True,
                "mailEnabled": False,
                "groupTypes": [],
                "members": [BG1, BG2],
            }
        ],
        "authenticationMethods": {
            BG1: [password(), fido2()],
            BG2: [password(), fido2("Feitian BioPass K26")],
            ADMIN: [password(), phone()],
        },
        "roleDefinitions": [
            {"id": rid, "templateId": rid, "displayName": name, "isBuiltIn": True}
            for rid, name in SENSITIVE.items()
        ],
        "roleManagementPolicies": [pim_policy(rid) for rid in SENSITIVE],
        "roleManagementPolicyAssignments": [
            {
                "id": f"DirectoryRole_{TENANT_ID}_{rid}_{rid}",
                "policyId": f"DirectoryRole_{TENANT_ID}_{rid}",
                "roleDefinitionId": rid,
                "scopeId": "/",
                "scopeType": "DirectoryRole",
            }
            for rid in SENSITIVE
        ],
        "authenticationMethodConfigurations": [
            {
                "@odata.type": "#microsoft.graph.fido2AuthenticationMethodConfiguration",
                "id": "Fido2",
                "state": "enabled",
                "isSelfServiceRegistrationAllowed": True,
                "isAttestationEnforced": True,
                "excludeTargets": [],
                "keyRestrictions": {"isEnforced": False, "enforcementType": "block", "aaGuids": []},
                "includeTargets": [
                    {"targetType": "group", "id": "all_users", "isRegistrationRequired": False}
                ],
            }
        ],
        "roleAssignments": [
            {"id": gid(), "principalId": p, "roleDefinitionId": GA, "directoryScopeId": "/"}
            for p in (BG1, BG2)
        ],
        "roleAssignmentScheduleInstances": [active_ga(BG1), active_ga(BG2)],
        "roleEligibilityScheduleInstances": [
            {
                "id": gid(),
                "principalId": ADMIN,
                "roleDefinitionId": GA,
                "directoryScopeId": "/",
                "startDateTime": "-100d",
                "endDateTime": None,
                "memberType": "Direct",
                "roleEligibilityScheduleId": gid(),
            }
        ],
        "conditionalAccessPolicies": [],
        "signIns": [],
        "directoryAudits": [],
        "breakglass": {
            "accounts": [
                {
                    "upn": upn,
                    "object_id": oid,
                    "display_name": upn.split("@")[0],
                    "credential_location": loc,
                    "custodians": [
                        {
                            "name": "Dana Custodian",
                            "email": "dana@contoso.com",
                            "phone": "+1 555 0100",
                        }
                    ],
                }
                for oid, upn, loc in accounts
            ],
            "exclusion_groups": [EXCLUSION_GROUP],
            "allowed_policies": [],
        },
    }


def find(items: list[dict[str, Any]], oid: str) -> dict[str, Any]:
    return next(i for i in items if i["id"] == oid)


def clone(scenario: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(scenario)


def ca_policy(
    name: str,
    *,
    state: str = "enabled",
    include_users: list[str] | None = None,
    exclude_users: list[str] | None = None,
    include_groups: list[str] | None = None,
    exclude_groups: list[str] | None = None,
    include_roles: list[str] | None = None,
    exclude_roles: list[str] | None = None,
    controls: list[str] | None = None,
    workload: bool = False,
    pid: str | None = None,
) -> dict[str, Any]:
    """A Conditional Access policy shaped like Graph's v1.0 resource."""
    return {
        "id": pid or gid(),
        "displayName": name,
        "createdDateTime": "-300d",
        "modifiedDateTime": "-30d",
        "state": state,
        "templateId": None,
        "conditions": {
            "userRiskLevels": [],
            "signInRiskLevels": [],
            "clientAppTypes": ["all"],
            "platforms": None,
            "locations": None,
            "devices": None,
            "clientApplications": (
                {
                    "includeServicePrincipals": ["ServicePrincipalsInMyTenant"],
                    "excludeServicePrincipals": [],
                }
                if workload
                else None
            ),
            "applications": {
                "includeApplications": ["All"],
                "excludeApplications": [],
                "includeUserActions": [],
                "includeAuthenticationContextClassReferences": [],
            },
            "users": {
                "includeUsers": include_users
                if include_users is not None
                else ([] if workload else ["All"]),
                "excludeUsers": exclude_users or [],
                "includeGroups": include_groups or [],
                "excludeGroups": exclude_groups
                if exclude_groups is not None
                else [EXCLUSION_GROUP],
                "includeRoles": include_roles or [],
                "excludeRoles": exclude_roles or [],
                "includeGuestsOrExternalUsers": None,
                "excludeGuestsOrExternalUsers": None,
            },
        },
        "grantControls": {
            "operator": "OR",
            "builtInControls": controls if controls is not None else ["mfa"],
            "customAuthenticationFactors": [],
            "termsOfUse": [],
        },
        "sessionControls": None,
    }


def group(
    name: str, members: list[str], *, role_assignable: bool = False, oid: str | None = None
) -> dict[str, Any]:
    return {
        "id": oid or gid(),
        "displayName": name,
        "isAssignableToRole": role_assignable,
        "securityEnabled": True,
        "mailEnabled": False,
        "groupTypes": [],
        "members": members,
    }


LARGE_TENANT_ID = "7d3c2b1a-0f9e-4d8c-b7a6-5f4e3d2c1b0a"


def large_tenant(n_users: int) -> dict[str, Any]:
    """A scenario of ``n_users`` users, 200 nested groups of 100 and 500 all-users CA policies."""
    users = [
        {
            "id": str(uuid.UUID(int=i + 1)),
            "userPrincipalName": f"user{i}@big.onmicrosoft.com",
            "displayName": f"User {i}",
            "accountEnabled": True,
        }
        for i in range(n_users)
    ]
    groups = [
        {
            "id": f"g{i}",
            "displayName": f"Group {i}",
            "members": [users[(i * 100 + j) % n_users]["id"] for j in range(100)]
            + ([f"g{i + 1}"] if i < 199 else []),
        }
        for i in range(200)
    ]
    policies = [
        {
            "id": f"p{i}",
            "displayName": f"Policy {i}",
            "state": "enabled",
            "conditions": {"users": {"includeUsers": ["All"]}},
        }
        for i in range(500)
    ]
    return {
        "organization": [{"id": LARGE_TENANT_ID, "displayName": "Big"}],
        "users": users,
        "groups": groups,
        "conditionalAccessPolicies": policies,
    }
