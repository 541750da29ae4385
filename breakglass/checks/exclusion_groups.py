"""Exclusion-group integrity: BG-021 and BG-022 (DESIGN §7).

A group that exempts an emergency account from Conditional Access is as powerful as the
policies it bypasses. If it is not role-assignable, a Groups Administrator (or an owner) can
add anyone to it; any member besides the emergency accounts is a CA bypass.
"""

from __future__ import annotations

from collections.abc import Iterator

from breakglass.checks._model import CheckContext, CheckMeta, Finding, Resource, Severity
from breakglass.checks._reasons import describe_incomplete
from breakglass.checks._registry import Emit, register
from breakglass.checks.references import LEARN_CA_USERS, LEARN_ROLE_GROUPS

__all__ = ["exclusion_group_ids"]


def exclusion_group_ids(ctx: CheckContext) -> list[str]:
    """Declared exclusion groups plus every group a live policy excludes that holds an account."""
    wanted: dict[str, None] = dict.fromkeys(ctx.settings.exclusion_groups)
    account_groups = {
        g.id
        for data in ctx.snapshot.accounts.values()
        for g in data.member_of or ()
        if g.kind == "group"
    }
    for policy in ctx.snapshot.ca_policies:
        if policy.state == "disabled":
            continue
        for gid in policy.exclude_groups:
            if gid in account_groups:
                wanted.setdefault(gid)
    return list(wanted)


def _group_resource(ctx: CheckContext, gid: str) -> Resource:
    group = ctx.snapshot.groups.get(gid)
    return Resource("group", gid, group.display_name if group else None)


@register(
    CheckMeta(
        id="BG-021",
        title="Exclusion groups are protected (role-assignable)",
        severity=Severity.HIGH,
        rationale="Only Privileged Role Administrators can change the members of a "
        "role-assignable group; any other group can be joined by a Groups Administrator or an "
        "owner, who then bypasses every policy that excludes it.",
        remediation="Recreate the exclusion group as a role-assignable group "
        "(isAssignableToRole = true, set only at creation), move the emergency accounts into it "
        "and point the policies' exclusions at it.",
        references=(LEARN_ROLE_GROUPS, LEARN_CA_USERS),
        permissions=("GroupMember.Read.All",),
    )
)
def bg021_protected_groups(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    for gid in exclusion_group_ids(ctx):
        resource = _group_resource(ctx, gid)
        status = ctx.snapshot.status_of(f"group:{gid}")
        group = ctx.snapshot.groups.get(gid)
        if not status.complete:
            yield emit.error(resource, describe_incomplete(status, f"exclusion group {gid}"))
        elif group is None:
            yield emit.failed(resource, f"the declared exclusion group {gid} does not exist")
        elif group.is_assignable_to_role is None:
            yield emit.error(
                resource, f"Graph did not say whether '{group.display_name}' is role-assignable"
            )
        elif group.is_assignable_to_role:
            yield emit.passed(resource, f"'{group.display_name}' is role-assignable")
        else:
            yield emit.failed(
                resource,
                f"'{group.display_name}' excludes emergency accounts from Conditional Access but "
                "is not role-assignable: a Groups Administrator or owner can join it",
            )


@register(
    CheckMeta(
        id="BG-022",
        title="Exclusion groups hold only emergency accounts",
        severity=Severity.CRITICAL,
        rationale="Every other member of an exclusion group is exempt from the same Conditional "
        "Access policies as the emergency accounts, unwatched.",
        remediation="Remove the member from the exclusion group (and any group nested in it); "
        "give service accounts their own, explicitly allowed exclusion.",
        references=(LEARN_CA_USERS,),
        permissions=("GroupMember.Read.All",),
    )
)
def bg022_only_emergency_members(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    declared = set(ctx.settings.account_ids)
    for gid in exclusion_group_ids(ctx):
        resource = _group_resource(ctx, gid)
        status = ctx.snapshot.status_of(f"members:{gid}")
        group = ctx.snapshot.groups.get(gid)
        if not status.complete or group is None or group.members is None:
            if ctx.snapshot.status_of(f"group:{gid}").complete and group is None:
                continue  # BG-021 reports the missing group
            yield emit.error(resource, describe_incomplete(status, f"members of group {gid}"))
            continue
        strays = [m for m in group.members if m.kind != "group" and m.id not in declared]
        name = group.display_name or gid
        for member in strays:
            who = member.user_principal_name or member.display_name or member.id
            yield emit.failed(
                resource,
                f"{who} ({member.kind}) is a member of exclusion group '{name}' but is not a "
                "declared emergency account",
                related=[
                    Resource(
                        member.kind, member.id, member.user_principal_name or member.display_name
                    )
                ],
            )
        if not strays:
            yield emit.passed(resource, f"'{name}' holds only declared emergency accounts")
