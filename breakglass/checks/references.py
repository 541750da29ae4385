"""The public references the catalog cites (``CheckMeta.references``), each defined once."""

from __future__ import annotations

__all__ = [
    "CISA_SCUBA_AAD",
    "LEARN_CA_USERS",
    "LEARN_EMERGENCY_ACCESS",
    "LEARN_FIDO2",
    "LEARN_MANDATORY_MFA",
    "LEARN_METHODS",
    "LEARN_PIM_PLAN",
    "LEARN_PIM_SETTINGS",
    "LEARN_ROLE_GROUPS",
    "LEARN_SIGN_IN_LOGS",
]

_LEARN = "https://learn.microsoft.com/entra"

#: Manage emergency access accounts in Microsoft Entra ID.
LEARN_EMERGENCY_ACCESS = f"{_LEARN}/identity/role-based-access-control/security-emergency-access"
#: Authentication methods in Microsoft Entra ID.
LEARN_METHODS = f"{_LEARN}/identity/authentication/concept-authentication-methods"
#: Mandatory multifactor authentication for Azure and admin portals.
LEARN_MANDATORY_MFA = (
    f"{_LEARN}/identity/authentication/concept-mandatory-multifactor-authentication"
)
#: Enable passkeys (FIDO2).
LEARN_FIDO2 = f"{_LEARN}/identity/authentication/how-to-enable-passkey-fido2"
#: Conditional Access: users and groups (include/exclude).
LEARN_CA_USERS = f"{_LEARN}/identity/conditional-access/concept-conditional-access-users-groups"
#: Role-assignable groups.
LEARN_ROLE_GROUPS = f"{_LEARN}/identity/role-based-access-control/groups-concept"
#: Plan a Privileged Identity Management deployment.
LEARN_PIM_PLAN = f"{_LEARN}/id-governance/privileged-identity-management/pim-deployment-plan"
#: Configure Microsoft Entra role settings in PIM.
LEARN_PIM_SETTINGS = (
    f"{_LEARN}/id-governance/privileged-identity-management/pim-how-to-change-default-settings"
)
#: Sign-in logs in Microsoft Entra ID (what the watcher reads).
LEARN_SIGN_IN_LOGS = f"{_LEARN}/identity/monitoring-health/concept-sign-ins"
#: CISA ScubaGear baseline for Entra ID (standing privilege, PIM rules).
CISA_SCUBA_AAD = (
    "https://github.com/cisagov/ScubaGear/blob/main/PowerShell/ScubaGear/baselines/aad.md"
)
