"""Standing privilege and PIM posture: BG-030, BG-031, BG-032 (DESIGN §7).

"Standing" means an active assignment of type ``Assigned`` with no end date: a PIM
activation (``Activated``) or a time-bound assignment is just-in-time access and is never
flagged here. Any scope counts (the message states it). A group holding a role counts as
each of its transitive members holding it: the finding names the member, ``related`` the
group (DESIGN §7 edge rules). The GA headcount is the number of distinct users holding
Global Administrator actively, directly or through a group, permanent or time-bound.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from breakglass.checks._model import CheckContext, CheckMeta, Finding, Resource, Severity, Status
from breakglass.checks._reasons import describe_incomplete
from breakglass.checks._registry import Emit, register
from breakglass.checks._resources import tenant_resource
from breakglass.checks._roles import role_name, role_template
from breakglass.checks.references import CISA_SCUBA_AAD, LEARN_PIM_PLAN, LEARN_PIM_SETTINGS
from breakglass.config import GLOBAL_ADMIN
from breakglass.snapshot import PimPolicy, RoleInstance

__all__: list[str] = []


def _standing(inst: RoleInstance) -> bool:
    return inst.assignment_type == "Assigned" and inst.end is None


#: The assignmentType values Graph documents for active role schedule instances.
_ASSIGNMENT_TYPES = frozenset({"Assigned", "Activated"})


def _live(inst: RoleInstance, now: datetime) -> bool:
    return (inst.start is None or inst.start <= now) and (inst.end is None or inst.end > now)


def _principal(inst: RoleInstance) -> Resource:
    return Resource(inst.principal_type or "principal", inst.principal_id, inst.principal_name)


@dataclass(frozen=True)
class _Holding:
    """One principal holding a role actively: directly, or as a member of ``via``."""

    holder: Resource
    template: str
    scope: str | None
    instance: RoleInstance
    via: Resource | None = None


def _holdings(
    ctx: CheckContext, emit: Emit, instances: Iterable[RoleInstance]
) -> tuple[list[_Holding], list[Finding]]:
    """Who holds each instance: a group's role counts for each of its transitive members.

    Direct holdings come first, so a user that holds a role both directly and through a
    group is named once, for the direct assignment. A group whose members could not be read
    is an ``error`` naming the read, never a silent pass.
    """
    direct: list[_Holding] = []
    via_group: list[_Holding] = []
    errors: list[Finding] = []
    for inst in instances:
        template = role_template(ctx, inst)
        scope = inst.directory_scope_id
        is_group = inst.principal_type == "group" or inst.principal_id in ctx.snapshot.groups
        if not is_group:
            # memberType Group rows restate a group's assignment for a member: after direct.
            target = via_group if inst.member_type == "Group" else direct
            target.append(_Holding(_principal(inst), template, scope, inst))
            continue
        group = ctx.snapshot.groups.get(inst.principal_id)
        status = ctx.snapshot.status_of(f"members:{inst.principal_id}")
        if group is None and status.complete:
            continue  # deleted: it gives its role to no one
        name = (group.display_name if group else None) or inst.principal_name
        resource = Resource("group", inst.principal_id, name)
        if group is None or group.members is None or not status.complete:
            errors.append(
                emit.error(
                    resource,
                    f"group '{name or inst.principal_id}' holds {role_name(ctx, template)}: "
                    + describe_incomplete(status, f"members of group {inst.principal_id}"),
                    related=[Resource("role", template, role_name(ctx, template))],
                )
            )
            continue
        for member in group.members:
            if member.kind == "group":
                continue  # its members are listed too (transitive members)
            holder = Resource(
                member.kind, member.id, member.user_principal_name or member.display_name
            )
            via_group.append(_Holding(holder, template, scope, inst, via=resource))
    return direct + via_group, errors


def _scope_words(scope: str | None) -> str:
    if scope == "/":
        return "tenant-wide (scope /)"
    if scope is None:
        return "at a scope Graph did not return"
    return f"at scope {scope}"


def _standing_holders(ctx: CheckContext, emit: Emit, roles: set[str]) -> Iterator[Finding]:
    status = ctx.snapshot.status_of("activeRoles")
    if not status.complete:
        yield emit.error(
            tenant_resource(ctx), describe_incomplete(status, "active role assignments")
        )
        return
    declared = set(ctx.settings.account_ids)
    standing = [
        i
        for i in ctx.snapshot.active_roles
        if _standing(i) and role_template(ctx, i) in roles and _live(i, ctx.now)
    ]
    holdings, errors = _holdings(ctx, emit, standing)
    # An assignmentType Graph did not return or breakglass does not know may be a standing
    # assignment: unknown, never a pass (DESIGN §5).
    errors += [
        emit.error(
            _principal(i),
            f"{i.principal_name or i.principal_id} holds {role_name(ctx, role_template(ctx, i))} "
            f"({i.id}) with an assignmentType that is missing or unknown "
            f"({str(i.assignment_type)[:40]!r}); cannot tell whether it is permanent",
            related=[
                Resource("role", role_template(ctx, i), role_name(ctx, role_template(ctx, i)))
            ],
        )
        for i in ctx.snapshot.active_roles
        if i.assignment_type not in _ASSIGNMENT_TYPES
        and i.end is None
        and role_template(ctx, i) in roles
        and _live(i, ctx.now)
        and i.principal_id not in declared
    ]
    yield from errors
    seen: set[tuple[str, str, str | None]] = set()
    for held in holdings:
        key = (held.holder.id, held.template, held.scope)
        if held.holder.id in declared or key in seen:
            continue
        seen.add(key)
        who = held.holder.name or held.holder.id
        role = Resource("role", held.template, role_name(ctx, held.template))
        how = f" through group '{held.via.name or held.via.id}'" if held.via else ""
        yield emit.failed(
            held.holder,
            f"{who} holds {role.name} {_scope_words(held.scope)}{how} as a permanent active "
            "assignment; make it PIM-eligible with just-in-time activation",
            related=[held.via, role] if held.via else [role],
        )
    if not seen and not errors:
        names = ", ".join(sorted(role_name(ctx, r) for r in roles))
        yield emit.passed(
            tenant_resource(ctx), f"only the declared emergency accounts hold standing {names}"
        )


def _ga_users(ctx: CheckContext, emit: Emit) -> tuple[set[str], list[Finding]]:
    """Distinct users holding Global Administrator actively (direct or via a group,
    permanent or time-bound), and the errors of groups whose members could not be read."""
    active = [
        i
        for i in ctx.snapshot.active_roles
        if role_template(ctx, i) == GLOBAL_ADMIN and _live(i, ctx.now)
    ]
    holdings, errors = _holdings(ctx, emit, active)
    users = {h.holder.id for h in holdings if h.holder.type in ("user", "principal")}
    return users, errors


@register(
    CheckMeta(
        id="BG-030",
        title="No standing Global Administrators besides the emergency accounts",
        severity=Severity.HIGH,
        rationale="Microsoft's PIM plan: keep zero permanently active assignments except the "
        "emergency accounts. CISA MS.AAD.7.1 asks for 2 to 8 Global Administrators.",
        remediation="Convert standing Global Administrator assignments to PIM-eligible ones; keep "
        "between 2 and 8 Global Administrators in total.",
        references=(LEARN_PIM_PLAN, CISA_SCUBA_AAD),
        permissions=("RoleAssignmentSchedule.Read.Directory", "GroupMember.Read.All"),
    )
)
def bg030_standing_ga(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    findings = list(_standing_holders(ctx, emit, {GLOBAL_ADMIN}))
    yield from findings
    if not ctx.snapshot.status_of("activeRoles").complete:
        return
    users, errors = _ga_users(ctx, emit)
    reported = {f.resource.id for f in findings if f.status is Status.ERROR}
    low, high = ctx.settings.thresholds.ga_min, ctx.settings.thresholds.ga_max
    count = len(users)
    what = (
        f"{count} users hold Global Administrator actively "
        "(directly or through a group, permanent or time-bound)"
    )
    if count > high or (count < low and not errors):
        yield emit.failed(tenant_resource(ctx), f"{what}; keep between {low} and {high}")
    elif errors:
        # A group's members could not be read: the count is only a lower bound.
        yield from (e for e in errors if e.resource.id not in reported)
    else:
        yield emit.passed(tenant_resource(ctx), f"{what}, within {low}–{high}")


@register(
    CheckMeta(
        id="BG-031",
        title="No standing sensitive roles besides the emergency accounts",
        severity=Severity.MEDIUM,
        rationale="Standing privileged roles are always-on attack paths; PIM makes them "
        "just-in-time, approved and audited.",
        remediation="Make these assignments PIM-eligible and require activation.",
        references=(LEARN_PIM_PLAN,),
        permissions=("RoleAssignmentSchedule.Read.Directory", "GroupMember.Read.All"),
    )
)
def bg031_standing_sensitive(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    roles = set(ctx.settings.roles.sensitive) - {GLOBAL_ADMIN}
    yield from _standing_holders(ctx, emit, roles)


def _activation_rules(policy: PimPolicy) -> dict[str, dict[str, Any]]:
    """The policy's end-user assignment rules (``Enablement_EndUser_Assignment``, …) by kind.

    Graph names each rule ``<Kind>_<Caller>_<Level>``; the id decides, the rule's ``target``
    only when the id does not have that form.
    """
    rules: dict[str, dict[str, Any]] = {}
    for rule in policy.rules:
        raw = dict(rule.raw)
        parts = rule.id.split("_")
        caller, level = (parts[1], parts[2]) if len(parts) == 3 else (raw.get("caller"), rule.level)
        if caller == "EndUser" and level == "Assignment":
            rules[rule.odata_type.rsplit(".", 1)[-1]] = raw
    return rules


def pim_problems(policy: PimPolicy, *, max_hours: float, needs_approval: bool) -> list[str]:
    """What is wrong with a role's activation rules, in words (empty when compliant)."""
    rules = _activation_rules(policy)
    problems: list[str] = []
    enablement = rules.get("unifiedRoleManagementPolicyEnablementRule", {})
    enabled = set(enablement.get("enabledRules") or [])
    auth_context = rules.get("unifiedRoleManagementPolicyAuthenticationContextRule", {})
    if "Justification" not in enabled:
        problems.append("activation needs no justification")
    if "MultiFactorAuthentication" not in enabled and not auth_context.get("isEnabled"):
        problems.append("activation needs neither MFA nor an authentication context")
    expiration = rules.get("unifiedRoleManagementPolicyExpirationRule", {})
    seconds = expiration.get("maximumDurationSeconds")
    if seconds is None:
        problems.append("the maximum activation duration is not set")
    elif seconds > max_hours * 3600:
        problems.append(f"activation may last {seconds / 3600:g} h (more than {max_hours:g} h)")
    approval = rules.get("unifiedRoleManagementPolicyApprovalRule", {})
    if approval.get("isApprovalRequired"):
        if not approval.get("approvalStages") or approval.get("stagesWithoutApprovers"):
            # Nobody can approve: activation waits forever (or for a global admin to notice).
            problems.append("activation needs approval but no approver is configured")
    elif needs_approval:
        problems.append("activation needs no approval")
    return problems


@register(
    CheckMeta(
        id="BG-032",
        title="PIM activation rules for sensitive roles",
        severity=Severity.MEDIUM,
        rationale="Just-in-time access is only as strong as its activation rules: justification, "
        "MFA (or an authentication context), short windows and, for the top roles, approval.",
        remediation="In PIM role settings require justification and Azure MFA (or an "
        "authentication context) on activation, cap activation at the configured maximum, and "
        "require approval for Global Administrator and Privileged Role Administrator.",
        references=(LEARN_PIM_SETTINGS, LEARN_PIM_PLAN),
        permissions=("RoleManagement.Read.Directory",),
    )
)
def bg032_pim_rules(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    status = ctx.snapshot.status_of("pimPolicies")
    roles = ctx.settings.roles.sensitive
    if not status.complete:
        for template in roles:
            resource = Resource("role", template, role_name(ctx, template))
            if status.kind == "skipped":
                yield emit.skipped(resource, f"PIM is not available: {status.reason}")
            else:
                yield emit.error(resource, describe_incomplete(status, "PIM role policies"))
        return
    by_role = {p.role_definition_id: p for p in ctx.snapshot.pim_policies}
    max_hours = ctx.settings.thresholds.max_activation_hours
    for template in roles:
        name = role_name(ctx, template)
        resource = Resource("role", template, name)
        policy = by_role.get(template)
        if policy is None:
            yield emit.error(resource, f"no PIM policy was found for {name}")
            continue
        problems = pim_problems(
            policy,
            max_hours=max_hours,
            needs_approval=template in ctx.settings.roles.approval_required,
        )
        if problems:
            yield emit.failed(resource, f"{name}: " + "; ".join(problems))
        else:
            yield emit.passed(resource, f"{name}: activation rules are sound")
