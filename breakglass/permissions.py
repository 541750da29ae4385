"""The least-privileged Graph application permissions breakglass needs (DESIGN §5)."""

from __future__ import annotations

__all__ = ["REQUIRED_PERMISSIONS"]

REQUIRED_PERMISSIONS: dict[str, str] = {
    "User.Read.All": "read the emergency accounts and their group memberships",
    "AuditLog.Read.All": "sign-in logs, directory audits and signInActivity",
    "Directory.Read.All": "directory audits and the organization's initial domain",
    "Policy.Read.All": "Conditional Access policies and the FIDO2 method configuration",
    "UserAuthenticationMethod.Read.All": "the accounts' registered authentication methods",
    "RoleManagement.Read.Directory": "role definitions, assignments and PIM policies",
    "RoleAssignmentSchedule.Read.Directory": "active (standing and activated) role assignments",
    "RoleEligibilitySchedule.Read.Directory": "PIM-eligible role assignments",
    "GroupMember.Read.All": "exclusion-group members, transitively",
}
