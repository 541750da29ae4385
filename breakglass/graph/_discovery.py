"""Which groups and users to read beyond the declared accounts (pure, no Graph calls).

Groups: the declared exclusion groups, plus every group a Conditional Access policy
that is not disabled excludes (BG-021/022 protect those holding an emergency account;
BG-023 finds the undeclared users they exempt).
Discovery candidates (BG-023): users a policy excludes directly, through an excluded group,
or through an excluded role — found from the policies, never by listing the tenant's users.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from breakglass.config import Settings
from breakglass.snapshot import CaPolicy, Group, RoleInstance

__all__ = ["MAX_CANDIDATES", "discovery_candidates", "groups_to_read"]

#: Cap on undeclared users evaluated per run; a policy that excludes a huge group is
#: reported, not enumerated user by user.
MAX_CANDIDATES = 500


def _is_guid(value: str) -> bool:
    return len(value) == 36 and value.count("-") == 4


def groups_to_read(
    settings: Settings,
    policies: Iterable[CaPolicy],
    active_roles: Iterable[RoleInstance],
) -> list[str]:
    wanted: dict[str, None] = dict.fromkeys(settings.exclusion_groups)
    policies = [p for p in policies if p.state != "disabled"]
    for policy in policies:
        for gid in policy.exclude_groups:
            wanted.setdefault(gid)
    # Role-assignable groups that hold an excluded role: their members are excluded too.
    excluded_roles = {r for p in policies for r in p.exclude_roles}
    for inst in active_roles:
        if inst.role_definition_id in excluded_roles and inst.principal_type == "group":
            wanted.setdefault(inst.principal_id)
    return [g for g in wanted if _is_guid(g)]


def discovery_candidates(
    settings: Settings,
    policies: Iterable[CaPolicy],
    groups: Mapping[str, Group],
    active_roles: Iterable[RoleInstance],
) -> list[str]:
    declared = set(settings.account_ids)
    enabled = [p for p in policies if p.state == "enabled"]
    found: dict[str, None] = {}
    for policy in enabled:
        for uid in policy.exclude_users:
            if _is_guid(uid):
                found.setdefault(uid)
        for gid in policy.exclude_groups:
            group = groups.get(gid)
            for member in (group.members or ()) if group else ():
                if member.kind == "user":
                    found.setdefault(member.id)
    excluded_roles = {r for p in enabled for r in p.exclude_roles}
    for inst in active_roles:
        if inst.role_definition_id not in excluded_roles:
            continue
        if inst.principal_type in (None, "user"):
            found.setdefault(inst.principal_id)
        elif inst.principal_type == "group" and inst.principal_id in groups:
            for member in groups[inst.principal_id].members or ():
                if member.kind == "user":
                    found.setdefault(member.id)
    return [uid for uid in found if uid not in declared][:MAX_CANDIDATES]
