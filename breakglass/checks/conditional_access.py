"""Conditional Access checks: BG-020, BG-023, BG-024 (DESIGN §7).

All three rest on one applicability function (``ca_applicability``): exclusion wins,
groups are transitive, roles count only when held actively, report-only counts, disabled
does not (it is noted), guest and workload-identity conditions never touch member users.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator, Mapping
from dataclasses import replace

from breakglass.checks._model import CheckContext, CheckMeta, Finding, Resource, Severity
from breakglass.checks._per_account import account_views, unreadable_properties
from breakglass.checks._reasons import STORE_NOT_READ, describe_incomplete
from breakglass.checks._registry import Emit, register
from breakglass.checks._resources import tenant_resource
from breakglass.checks._roles import role_template
from breakglass.checks.ca_applicability import (
    Applicability,
    CaUser,
    active_role_templates,
    applicability,
)
from breakglass.checks.references import LEARN_CA_USERS, LEARN_EMERGENCY_ACCESS
from breakglass.checks.stored import PolicyFingerprint, RunFacts
from breakglass.snapshot import CaPolicy, DirectoryObjectRef

__all__ = ["run_facts"]

#: The snapshot status key the collector sets when discovery stopped at its cap (BG-023;
#: ``graph._discovery.DISCOVERY_STATUS``, the same string: checks do not import ``graph``).
_DISCOVERY_STATUS = "discovery"
_STATE_WORDS = {
    "enabled": "enabled",
    "enabledForReportingButNotEnforced": "report-only",
    "disabled": "disabled",
}


def _ca_user(
    ctx: CheckContext,
    user_id: str,
    user_type: str | None,
    member_of: tuple[DirectoryObjectRef, ...],
) -> CaUser:
    groups = frozenset(g.id for g in member_of if g.kind == "group")
    roles = active_role_templates(
        user_id, groups, ctx.snapshot.active_roles, lambda i: role_template(ctx, i), now=ctx.now
    )
    return CaUser(id=user_id, user_type=user_type, group_ids=groups, role_templates=roles)


def _names(ctx: CheckContext) -> Mapping[str, str | None]:
    names: dict[str, str | None] = {gid: g.display_name for gid, g in ctx.snapshot.groups.items()}
    for data in ctx.snapshot.accounts.values():
        for ref in data.member_of or ():
            names.setdefault(ref.id, ref.display_name)
    for definition in ctx.snapshot.role_definitions:
        if definition.template_id:
            names[definition.template_id] = definition.display_name
    return names


def _policy_resource(policy: CaPolicy) -> Resource:
    return Resource("policy", policy.id, policy.display_name)


def _describe(policy: CaPolicy) -> str:
    state = _STATE_WORDS.get(policy.state or "", policy.state or "unknown state")
    effect = (
        "blocks"
        if policy.blocks
        else (
            "requires " + ", ".join(policy.built_in_controls)
            if policy.built_in_controls
            else (
                f"requires {policy.authentication_strength}"
                if policy.authentication_strength
                else "session controls"
            )
        )
    )
    return f"{state}, {effect}"


def _role_doubt(
    ctx: CheckContext, policy: CaPolicy, user: CaUser, *, roles_read: bool
) -> str | None:
    """Why the policy's role conditions cannot be decided for ``user``, or None.

    Roles are in doubt when active assignments could not be read (every role the policy
    names may be held) or when Graph returned an assignment without a scope (it may be
    directory-wide). The answer stands when every possibility gives the same result.
    """
    named = set(policy.include_roles) | set(policy.exclude_roles)
    if not named:
        return None
    if roles_read:
        maybe = active_role_templates(
            user.id,
            user.group_ids,
            ctx.snapshot.active_roles,
            lambda i: role_template(ctx, i),
            now=ctx.now,
            scopes=("/", None),
        )
        why = "Graph returned an active role assignment without its directory scope"
    else:
        maybe = frozenset(named)
        why = "active role assignments could not be read"
    uncertain = sorted((set(maybe) - user.role_templates) & named)
    if not uncertain:
        return None
    outcomes = {
        applicability(
            policy, replace(user, role_templates=user.role_templates | set(extra))
        ).applies
        for extra in _subsets(uncertain)
    }
    return why if len(outcomes) > 1 else None


def _subsets(items: list[str]) -> Iterator[tuple[str, ...]]:
    """Every subset of ``items`` (a policy names a handful of roles at most)."""
    for size in range(len(items) + 1):
        yield from itertools.combinations(items, size)


def _account_users(ctx: CheckContext, emit: Emit) -> Iterator[tuple[Resource, CaUser | Finding]]:
    """Each declared account as CA sees it, or the per-account error/skipped finding."""
    for view in account_views(ctx, emit, "memberOf", reads=("userType",)):
        if isinstance(view, Finding):
            yield view.resource, view
        else:
            oid = view.declared.object_id
            user = _ca_user(ctx, oid, view.user.user_type, view.data.member_of or ())
            yield view.resource, user


@register(
    CheckMeta(
        id="BG-020",
        title="Emergency accounts are excluded from Conditional Access",
        severity=Severity.CRITICAL,
        rationale="A Conditional Access policy that applies to an emergency account can lock it "
        "out in exactly the outage it exists for (MFA, device, location or federation failures). "
        "Report-only policies count: they are one click from enforcement.",
        remediation="Exclude the emergency accounts from the policy through the protected "
        "exclusion group, or list the policy under allowed_policies if it is meant to apply "
        "(e.g. 'require phishing-resistant MFA for emergency accounts').",
        references=(LEARN_EMERGENCY_ACCESS, LEARN_CA_USERS),
        permissions=("Policy.Read.All", "User.Read.All"),
    )
)
def bg020_excluded_from_ca(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    status = ctx.snapshot.status_of("caPolicies")
    if not status.complete:
        yield emit.error(
            tenant_resource(ctx), describe_incomplete(status, "Conditional Access policies")
        )
        return
    roles_read = ctx.snapshot.status_of("activeRoles").complete
    names = _names(ctx)
    allowed = set(ctx.settings.allowed_policies)
    for resource, user in _account_users(ctx, emit):
        if isinstance(user, Finding):
            yield user
            continue
        upn = resource.name
        for policy in ctx.snapshot.ca_policies:
            related = [_policy_resource(policy)]
            title = f"'{policy.display_name}'"
            # Applicability is decided before the grant: only the state and the user,
            # group and role conditions can make the answer unknown (DESIGN §7 edge rules).
            result = applicability(policy, user, names=names)
            state_unknown = "state" in policy.unknown or policy.state not in _STATE_WORDS
            if state_unknown or result.unknown:
                why = result.reason
                if state_unknown:
                    why = "its state is missing or a value breakglass does not know" + (
                        f" ({policy.state!r})" if policy.state else ""
                    )
                yield emit.error(
                    resource,
                    f"{upn}: cannot tell whether policy {title} applies: {why}",
                    related=related,
                )
                continue
            doubt = _role_doubt(ctx, policy, user, roles_read=roles_read)
            if doubt:
                yield emit.error(
                    resource,
                    f"{upn}: cannot tell whether policy {title} applies: it targets roles, "
                    f"and {doubt}",
                    related=related,
                )
                continue
            yield _bg020_finding(emit, resource, policy, result, allowed, related)


def _bg020_finding(
    emit: Emit,
    resource: Resource,
    policy: CaPolicy,
    result: Applicability,
    allowed: set[str],
    related: list[Resource],
) -> Finding:
    upn, title = resource.name, f"'{policy.display_name}'"
    if policy.state == "disabled":
        note = " (it would apply if enabled)" if result.matches else ""
        return emit.passed(resource, f"{title} is disabled and not enforced{note}", related=related)
    if not result.applies:
        return emit.passed(
            resource, f"{upn} is not subject to {title}: {result.reason}", related=related
        )
    unknown_grant = [field for field in policy.unknown if field != "state"]
    if policy.id in allowed:
        note = f"; it has values breakglass does not know ({', '.join(unknown_grant)})"
        return emit.passed(
            resource,
            f"{title} applies to {upn} and is an allowed policy ({_describe(policy)})"
            + (note if unknown_grant else ""),
            related=related,
        )
    conditional = " when an app requests its authentication context" if result.conditional else ""
    if unknown_grant:
        # A control we cannot read may block: assume it does (doubt toward a finding).
        state = _STATE_WORDS.get(policy.state or "", policy.state or "unknown state")
        return emit.failed(
            resource,
            f"{upn} is not excluded from {title} ({state}; its {', '.join(unknown_grant)} "
            f"hold values breakglass does not know, assumed to block){conditional}: "
            f"{result.reason}",
            related=related,
            severity=Severity.CRITICAL,
        )
    return emit.failed(
        resource,
        f"{upn} is not excluded from {title} ({_describe(policy)}){conditional}: {result.reason}",
        related=related,
        severity=Severity.CRITICAL if policy.blocks else Severity.HIGH,
    )


@register(
    CheckMeta(
        id="BG-023",
        title="No undeclared emergency-like accounts",
        severity=Severity.MEDIUM,
        rationale="A user that every enabled Conditional Access policy exempts is an emergency "
        "account in all but name — without the watching, the safe and the reviews.",
        remediation="Declare the account as an emergency account (and govern it), or remove its "
        "exclusions so the tenant's policies apply to it.",
        references=(LEARN_CA_USERS,),
        permissions=("Policy.Read.All", "User.Read.All", "GroupMember.Read.All"),
    )
)
def bg023_undeclared(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    tenant = tenant_resource(ctx)
    status = ctx.snapshot.status_of("caPolicies")
    if not status.complete:
        yield emit.error(tenant, describe_incomplete(status, "Conditional Access policies"))
        return
    enabled = [p for p in ctx.snapshot.ca_policies if p.state == "enabled"]
    # A policy whose state is unknown may be enabled and cover (or be the only policy
    # targeting) all users: without it no verdict on coverage is safe.
    unknown_state = [p for p in ctx.snapshot.ca_policies if p.state not in _STATE_WORDS]
    for policy in unknown_state:
        yield emit.error(
            tenant,
            f"policy '{policy.display_name}' ({policy.id}) has a state that is missing or a "
            "value breakglass does not know, so whether it covers the excluded users is unknown",
            related=[_policy_resource(policy)],
        )
    if unknown_state:
        return
    if not any("All" in p.include_users for p in enabled):
        yield emit.passed(
            tenant,
            "no enabled policy targets all users, so no exclusion can "
            "exempt a user from all of them",
        )
        return
    names = _names(ctx)
    flagged = 0
    unread = 0
    capped = ctx.snapshot.status.get(_DISCOVERY_STATUS)
    if capped is not None and not capped.complete:
        # Users beyond the cap were never examined: never a pass on a partial read.
        unread += 1
        yield emit.error(tenant, capped.reason or "discovery of excluded users was capped")
    for key, st in ctx.snapshot.status.items():
        # Candidates come from the excluded groups' members (``group:``/``members:``) and
        # from the users and roles the policies exclude: an unread one hides candidates.
        prefixes = ("candidate:", "candidateMemberOf:", "members:", "group:")
        if key.startswith(prefixes) and not st.complete:
            unread += 1
            kind, _, oid = key.partition(":")
            yield emit.error(tenant, describe_incomplete(st, f"{kind} {oid}"))
    roles = ctx.snapshot.status_of("activeRoles")
    if not roles.complete and any(p.exclude_roles for p in enabled):
        unread += 1
        yield emit.error(
            tenant,
            "enabled policies exclude directory roles, so their holders may be exempt: "
            + describe_incomplete(roles, "active role assignments"),
        )
    for uid, user in ctx.snapshot.other_users.items():
        doubt = [p for p in ("accountEnabled", "userType") if p in user.unreadable]
        if doubt:
            unread += 1
            yield emit.error(
                Resource("user", uid, user.user_principal_name),
                unreadable_properties(user, doubt, uid),
            )
            continue
        if user.user_type == "Guest" or user.account_enabled is False:
            continue
        member_of = ctx.snapshot.other_memberships.get(uid)
        if member_of is None:
            continue  # reported above as an unreadable membership
        ca_user = _ca_user(ctx, uid, user.user_type or "Member", member_of)
        results = [applicability(p, ca_user, names=names) for p in enabled]
        if any(r.applies for r in results):
            continue
        unknown = next((r for r in results if r.unknown), None)
        if unknown is not None:
            unread += 1
            yield emit.error(
                Resource("user", uid, user.user_principal_name),
                f"{user.user_principal_name or uid}: cannot tell whether the enabled policies "
                f"cover this excluded user: {unknown.reason}",
            )
            continue
        flagged += 1
        who = user.user_principal_name or uid
        how = sorted({m.kind for r in results for m in r.via if m.effect == "exclude"})
        yield emit.failed(
            Resource("user", uid, user.user_principal_name),
            f"{who} is exempt from all {len(enabled)} enabled Conditional Access policies "
            f"(excluded by {', '.join(how) or 'their conditions'}) but is not a declared emergency account",
        )
    if not flagged and not unread:
        yield emit.passed(
            tenant,
            f"no undeclared user is exempt from every enabled policy "
            f"({len(ctx.snapshot.other_users)} excluded users examined)",
        )


def _fingerprint(policy: CaPolicy) -> str:
    relevant = {
        "state": policy.state,
        "users": [
            policy.include_users,
            policy.exclude_users,
            policy.include_groups,
            policy.exclude_groups,
            policy.include_roles,
            policy.exclude_roles,
            policy.include_guests,
            policy.exclude_guests,
        ],
        "grant": [
            sorted(policy.built_in_controls),
            policy.grant_operator,
            policy.authentication_strength,
        ],
    }
    return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=list).encode()).hexdigest()


def run_facts(ctx: CheckContext) -> RunFacts:
    """What a later run compares against (BG-024 drift), stored with this run.

    ``ca_affecting`` holds every policy whose user conditions mention an emergency account
    (included or excluded); it is ``None`` when the policies could not be read (no baseline).
    """
    if not ctx.snapshot.status_of("caPolicies").complete:
        return RunFacts(taken_at=ctx.snapshot.taken_at, ca_affecting=None)
    names = _names(ctx)
    users = [u for _r, u in _account_users(ctx, _SILENT) if isinstance(u, CaUser)]
    affecting = {
        policy.id: PolicyFingerprint(name=policy.display_name, fingerprint=_fingerprint(policy))
        for policy in ctx.snapshot.ca_policies
        if any(applicability(policy, u, names=names).via for u in users)
    }
    return RunFacts(taken_at=ctx.snapshot.taken_at, ca_affecting=affecting)


_SILENT = Emit(
    CheckMeta(id="BG-024", title="", severity=Severity.INFO, rationale="", remediation="")
)


@register(
    CheckMeta(
        id="BG-024",
        title="Conditional Access changes affecting emergency access",
        severity=Severity.INFO,
        rationale="A new policy, or a changed user scope or grant, is how emergency accounts get "
        "locked out; every such change deserves a look even when the exclusion still holds.",
        remediation="Review the change with its author; confirm the emergency accounts are still "
        "excluded (BG-020) and the change was intended.",
        references=(LEARN_CA_USERS,),
        permissions=("Policy.Read.All",),
    )
)
def bg024_ca_drift(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    tenant = tenant_resource(ctx)
    status = ctx.snapshot.status_of("caPolicies")
    if not status.complete:
        yield emit.error(tenant, describe_incomplete(status, "Conditional Access policies"))
        return
    if ctx.stored is None:
        yield emit.skipped(tenant, f"{STORE_NOT_READ}, so there is no previous run to compare")
        return
    current = run_facts(ctx).ca_affecting or {}
    before_run = ctx.stored.previous_run
    if before_run is None or before_run.ca_affecting is None:
        yield emit.passed(
            tenant,
            f"first run: baseline of {len(current)} policies affecting the "
            "emergency accounts recorded",
        )
        return
    previous: Mapping[str, PolicyFingerprint] = before_run.ca_affecting
    changes = 0
    for pid, now_fp in current.items():
        before = previous.get(pid)
        resource = Resource("policy", pid, now_fp.name)
        if before is None:
            changes += 1
            yield emit.failed(
                resource,
                f"policy '{now_fp.name}' now affects the emergency accounts "
                "(added, or its users changed to include them) since the previous run",
            )
        elif before.fingerprint != now_fp.fingerprint:
            changes += 1
            yield emit.failed(
                resource,
                f"policy '{now_fp.name}' changed its users, state or grant "
                "conditions since the previous run",
            )
    for pid, before in previous.items():
        if pid not in current:
            changes += 1
            yield emit.failed(
                Resource("policy", pid, before.name),
                f"policy '{before.name}' no longer affects the emergency accounts "
                "(deleted, or its users changed) since the previous run",
            )
    if not changes:
        yield emit.passed(
            tenant, f"no change to the {len(current)} policies affecting the emergency accounts"
        )
