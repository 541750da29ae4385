"""The least-privileged Graph application permissions breakglass needs (DESIGN §5).

``REQUIRED_PERMISSIONS`` says why each is needed; ``needed_by`` says which checks need it,
from the catalog's metadata (``CheckMeta.permissions``). The two must agree: every
permission a check declares is listed here and every listed permission is needed by a check
(``tests/checks/test_catalog.py``).
"""

from __future__ import annotations

__all__ = ["REQUIRED_PERMISSIONS", "needed_by"]

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


def needed_by() -> dict[str, list[str]]:
    """Permission -> the ids of the checks whose data needs it (catalog order)."""
    from breakglass.checks import CATALOG

    out: dict[str, list[str]] = {}
    for check_id, check in sorted(CATALOG.items()):
        for permission in check.meta.permissions:
            out.setdefault(permission, []).append(check_id)
    return out
