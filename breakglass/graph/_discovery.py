"""Which groups and users to read beyond the declared accounts (pure, no Graph calls).

Groups: the declared exclusion groups, plus every group a Conditional Access policy
that is not disabled excludes (BG-021/022 protect those holding an emergency account;
BG-023 finds the undeclared users they exempt), and every group that actively holds a
sensitive role (BG-030/031 count each of its members as holding it).
Discovery candidates (BG-023): users a policy excludes directly, through an excluded group,
or through an excluded role — found from the policies, never by listing the tenant's users.
At most ``cap`` of them are read; beyond it the collector records the ``discovery`` status
as incomplete, naming the cap, so BG-023 reports it instead of passing on a partial read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from breakglass.config import Settings
from breakglass.snapshot import CaPolicy, Group, RoleInstance

__all__ = [
    "DISCOVERY_STATUS",
    "MAX_CANDIDATES",
    "Discovery",
    "discovery_candidates",
    "groups_to_read",
]

#: Cap on undeclared users evaluated per run; a policy that excludes a huge group is
#: reported, not enumerated user by user.
MAX_CANDIDATES = 500
#: The snapshot status key that says whether discovery read every candidate (BG-023).
DISCOVERY_STATUS = "discovery"


@dataclass(frozen=True)
class Discovery:
    """The candidates to read, and whether the cap left some out."""

    #: The candidates to read (the first ``cap`` by id).
    ids: tuple[str, ...]
    #: How many candidates there were in all.
    found: int
    cap: int

    @property
    def capped(self) -> bool:
        return self.found > len(self.ids)

    @property
    def reason(self) -> str:
        """Why discovery is incomplete (for the ``discovery`` status), or "" when it is not."""
        if not self.capped:
            return ""
        return (
            f"discovery stopped at its cap of {self.cap} users: {self.found} undeclared users "
            f"are excluded from every enabled all-users policy, {self.found - len(self.ids)} "
            "of them were not examined, so whether they are covered by another policy is unknown"
        )


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
    # Groups holding a sensitive role: each member holds it (BG-030/031).
    roles = {r for p in policies for r in p.exclude_roles} | set(settings.roles.sensitive)
    for inst in active_roles:
        if inst.role_definition_id in roles and inst.principal_type == "group":
            wanted.setdefault(inst.principal_id)
    return [g for g in wanted if _is_guid(g)]


def discovery_candidates(
    settings: Settings,
    policies: Iterable[CaPolicy],
    groups: Mapping[str, Group],
    active_roles: Iterable[RoleInstance],
    *,
    cap: int = MAX_CANDIDATES,
) -> Discovery:
    """Undeclared users that every enabled all-users policy excludes (by id, group or role).

    Only a user in the exclusion set of *each* such policy can be exempt from all of them,
    so the intersection is exact and usually small; BG-023 then evaluates each candidate
    fully. At most ``cap`` are returned; ``Discovery.capped`` says when some were left out.
    """
    declared = set(settings.account_ids)
    roles = list(active_roles)
    all_users = [p for p in policies if p.state == "enabled" and "All" in p.include_users]
    if not all_users:
        return Discovery(ids=(), found=0, cap=cap)

    def members(gid: str) -> set[str]:
        group = groups.get(gid)
        return {m.id for m in (group.members or ()) if m.kind == "user"} if group else set()

    def excluded_by(policy: CaPolicy) -> set[str]:
        found = {u for u in policy.exclude_users if _is_guid(u)}
        for gid in policy.exclude_groups:
            found |= members(gid)
        for inst in roles:
            if inst.role_definition_id in policy.exclude_roles:
                if inst.principal_type == "group":
                    found |= members(inst.principal_id)
                else:
                    found.add(inst.principal_id)
        return found

    candidates = sorted(set.intersection(*(excluded_by(p) for p in all_users)) - declared)
    return Discovery(ids=tuple(candidates[: max(cap, 0)]), found=len(candidates), cap=cap)
