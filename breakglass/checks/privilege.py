"""Standing privilege and PIM posture: BG-030, BG-031, BG-032 (DESIGN §7).

"Standing" means an active assignment of type ``Assigned`` with no end date: a PIM
activation (``Activated``) or a time-bound assignment is just-in-time access and is never
flagged here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from breakglass.checks._model import CheckContext, CheckMeta, Finding, Resource, Severity
from breakglass.checks._reasons import describe_incomplete
from breakglass.checks._registry import Emit, register
from breakglass.checks._resources import tenant_resource
from breakglass.checks._roles import role_name, role_template
from breakglass.checks.references import CISA_SCUBA_AAD, LEARN_PIM_PLAN, LEARN_PIM_SETTINGS
from breakglass.config import GLOBAL_ADMIN
from breakglass.snapshot import PimPolicy, RoleInstance

__all__: list[str] = []


def _standing(inst: RoleInstance) -> bool:
    return (
        inst.assignment_type == "Assigned"
        and inst.end is None
        and inst.member_type in ("Direct", None)
    )


def _principal(inst: RoleInstance) -> Resource:
    return Resource(inst.principal_type or "principal", inst.principal_id, inst.principal_name)


def _standing_holders(ctx: CheckContext, emit: Emit, roles: set[str]) -> Iterator[Finding]:
    status = ctx.snapshot.status_of("activeRoles")
    if not status.complete:
        yield emit.error(
            tenant_resource(ctx), describe_incomplete(status, "active role assignments")
        )
        return
    declared = set(ctx.settings.account_ids)
    flagged = False
    for inst in ctx.snapshot.active_roles:
        template = role_template(ctx, inst)
        if template not in roles or inst.principal_id in declared or not _standing(inst):
            continue
        flagged = True
        who = inst.principal_name or inst.principal_id
        scope = (
            "" if inst.directory_scope_id in ("/", None) else f" at scope {inst.directory_scope_id}"
        )
        yield emit.failed(
            _principal(inst),
            f"{who} holds {role_name(ctx, template)}{scope} as a permanent active assignment; "
            "make it PIM-eligible with just-in-time activation",
            related=[Resource("role", template, role_name(ctx, template))],
        )
    if not flagged:
        names = ", ".join(sorted(role_name(ctx, r) for r in roles))
        yield emit.passed(
            tenant_resource(ctx), f"only the declared emergency accounts hold standing {names}"
        )


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
        permissions=(
            "RoleAssignmentSchedule.Read.Directory",
            "RoleEligibilitySchedule.Read.Directory",
        ),
    )
)
def bg030_standing_ga(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    yield from _standing_holders(ctx, emit, {GLOBAL_ADMIN})
    if not ctx.snapshot.status_of("activeRoles").complete:
        return
    holders = {
        i.principal_id
        for i in (*ctx.snapshot.active_roles, *ctx.snapshot.eligible_roles)
        if role_template(ctx, i) == GLOBAL_ADMIN and i.member_type in ("Direct", None)
    }
    low, high = ctx.settings.thresholds.ga_min, ctx.settings.thresholds.ga_max
    count = len(holders)
    note = (
        ""
        if ctx.snapshot.status_of("eligibleRoles").complete
        else " (eligible assignments unreadable)"
    )
    if low <= count <= high:
        yield emit.passed(
            tenant_resource(ctx), f"{count} Global Administrators{note}, within {low}–{high}"
        )
    else:
        yield emit.failed(
            tenant_resource(ctx),
            f"{count} principals hold Global Administrator (active or eligible){note}; "
            f"keep between {low} and {high}",
        )


@register(
    CheckMeta(
        id="BG-031",
        title="No standing sensitive roles besides the emergency accounts",
        severity=Severity.MEDIUM,
        rationale="Standing privileged roles are always-on attack paths; PIM makes them "
        "just-in-time, approved and audited.",
        remediation="Make these assignments PIM-eligible and require activation.",
        references=(LEARN_PIM_PLAN,),
        permissions=("RoleAssignmentSchedule.Read.Directory",),
    )
)
def bg031_standing_sensitive(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    roles = set(ctx.settings.roles.sensitive) - {GLOBAL_ADMIN}
    yield from _standing_holders(ctx, emit, roles)


def _activation_rules(policy: PimPolicy) -> dict[str, dict[str, Any]]:
    """The policy's rules that govern activation (end user, assignment level), by kind."""
    rules: dict[str, dict[str, Any]] = {}
    for rule in policy.rules:
        raw = dict(rule.raw)
        caller = raw.get("caller") or (rule.id.split("_")[1] if rule.id.count("_") >= 2 else None)
        level = rule.level or (rule.id.split("_")[2] if rule.id.count("_") >= 2 else None)
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
    if needs_approval:
        approval = rules.get("unifiedRoleManagementPolicyApprovalRule", {})
        if not approval.get("isApprovalRequired"):
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
