"""Account checks BG-001 … BG-011 (DESIGN §7): one emergency account at a time.

Each function is pure: it reads the ``CheckContext`` and yields findings. The per-account
prelude (unreadable → ``error``, not found → ``skipped``) is ``@per_account``'s; data that
could not be read yields ``error`` — never ``pass``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from breakglass.auth_methods import (
    PERSON_BOUND,
    PHISHING_RESISTANT,
    credential_changes,
    credential_changes_after,
    is_person_bound,
    is_unknown,
    method_label,
)
from breakglass.checks._model import CheckContext, CheckMeta, Finding, Resource, Severity, Status
from breakglass.checks._per_account import AccountView, per_account, unreadable_properties
from breakglass.checks._reasons import describe_incomplete
from breakglass.checks._registry import Emit, register
from breakglass.checks._resources import account_resource, tenant_resource
from breakglass.checks._roles import role_template
from breakglass.checks.references import (
    LEARN_EMERGENCY_ACCESS,
    LEARN_MANDATORY_MFA,
    LEARN_METHODS,
    LEARN_PIM_PLAN,
    LEARN_SIGN_IN_LOGS,
)
from breakglass.config import GLOBAL_ADMIN

__all__: list[str] = []


#: What BG-004 reads: the user, its active and eligible role assignments, role definitions.
_GA_PERMISSIONS = (
    "User.Read.All",
    "RoleAssignmentSchedule.Read.Directory",
    "RoleEligibilitySchedule.Read.Directory",
    "RoleManagement.Read.Directory",
)
#: What BG-005/006 read: the user and its registered authentication methods.
_METHOD_PERMISSIONS = ("User.Read.All", "UserAuthenticationMethod.Read.All")


def _fmt(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


@register(
    CheckMeta(
        id="BG-001",
        title="Emergency account exists and is enabled",
        severity=Severity.CRITICAL,
        rationale="An emergency account that is missing or disabled fails exactly when it is needed.",
        remediation="Re-create or re-enable the account, then verify a sign-in from the secure workstation.",
        references=(LEARN_EMERGENCY_ACCESS,),
        permissions=("User.Read.All",),
    )
)
def bg001_exists_enabled(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    for declared in ctx.settings.accounts:
        data = ctx.snapshot.accounts.get(declared.object_id)
        status = ctx.snapshot.status_of(f"user:{declared.object_id}")
        resource = account_resource(declared)
        if data is None or not status.complete:
            yield emit.error(
                resource, f"{declared.upn}: {describe_incomplete(status, 'the user object')}"
            )
        elif data.user is None:
            yield emit.failed(
                resource, f"{declared.upn} ({declared.object_id}) does not exist in the tenant"
            )
        elif data.user.account_enabled is None:
            why = "Graph did not say whether it is enabled"
            if "accountEnabled" in data.user.unreadable:
                why = unreadable_properties(data.user, ["accountEnabled"], declared.upn)
            yield emit.error(resource, f"{declared.upn}: {why}")
        elif not data.user.account_enabled:
            yield emit.failed(resource, f"{declared.upn} is disabled (accountEnabled is false)")
        else:
            yield emit.passed(resource, f"{declared.upn} exists and is enabled")


@register(
    CheckMeta(
        id="BG-002",
        title="Emergency account is cloud-only",
        severity=Severity.HIGH,
        rationale="A synchronised account depends on on-premises AD and its sync; an outage or "
        "compromise there takes the emergency account with it.",
        remediation="Use a cloud-only account created in Entra ID, not synchronised from AD.",
        references=(LEARN_EMERGENCY_ACCESS,),
        permissions=("User.Read.All",),
    )
)
@per_account(reads=("onPremisesSyncEnabled", "onPremisesImmutableId"))
def bg002_cloud_only(ctx: CheckContext, emit: Emit, account: AccountView) -> Iterator[Finding]:
    upn, user = account.upn, account.user
    if user.on_premises_sync_enabled:
        yield emit.failed(account.resource, f"{upn} is synchronised from on-premises AD")
    elif user.on_premises_immutable_id:
        yield emit.failed(
            account.resource,
            f"{upn} has an on-premises immutable id, so it is (or was) tied to AD",
        )
    elif user.on_premises_sync_enabled is False:
        yield emit.passed(
            account.resource,
            f"{upn} is cloud-only now (onPremisesSyncEnabled is false: it was synchronised "
            "from on-premises AD once and no longer is; no immutable id remains)",
        )
    else:
        yield emit.passed(account.resource, f"{upn} is cloud-only")


@register(
    CheckMeta(
        id="BG-003",
        title="Emergency account uses the initial onmicrosoft.com domain",
        severity=Severity.MEDIUM,
        rationale="A custom domain can be federated, lapse or be re-pointed; the initial "
        "*.onmicrosoft.com domain cannot.",
        remediation="Rename the account's UPN to the tenant's initial *.onmicrosoft.com domain.",
        references=(LEARN_EMERGENCY_ACCESS,),
        permissions=("User.Read.All", "Directory.Read.All"),
    )
)
@per_account(reads=("userPrincipalName",))
def bg003_initial_domain(ctx: CheckContext, emit: Emit, account: AccountView) -> Iterator[Finding]:
    org_status = ctx.snapshot.status_of("organization")
    org = ctx.snapshot.organization
    upn = account.user.user_principal_name or account.upn
    if not org_status.complete or org is None or not org.initial_domain:
        yield emit.error(
            account.resource,
            f"{upn}: {describe_incomplete(org_status, 'the tenant initial domain')}",
        )
        return
    suffix = upn.rsplit("@", 1)[-1].lower()
    if suffix == org.initial_domain:
        yield emit.passed(account.resource, f"{upn} is on the initial domain {org.initial_domain}")
    else:
        yield emit.failed(
            account.resource,
            f"{upn} is on {suffix}, not on the tenant's initial domain {org.initial_domain}",
        )


_ASSIGNMENT_TYPES = frozenset({"Assigned", "Activated"})
_MEMBER_TYPES = frozenset({"Direct", "Group", "Inherited"})


def _ga_finding(ctx: CheckContext, emit: Emit, view: AccountView) -> Finding:
    oid, upn = view.declared.object_id, view.declared.upn
    mine = [
        i
        for i in ctx.snapshot.active_roles
        if i.principal_id == oid and role_template(ctx, i) == GLOBAL_ADMIN
    ]
    good = [
        i
        for i in mine
        if i.directory_scope_id == "/"
        and i.end is None
        and i.assignment_type == "Assigned"
        and i.member_type == "Direct"
    ]
    if good:
        return emit.passed(
            view.resource, f"{upn} holds Global Administrator permanently and directly"
        )
    unknown = [
        i
        for i in mine
        if i.assignment_type not in _ASSIGNMENT_TYPES or i.member_type not in _MEMBER_TYPES
    ]
    if unknown:
        return emit.error(
            view.resource,
            f"{upn}: Graph returned a Global Administrator assignment ({unknown[0].id}) whose "
            "assignmentType or memberType is missing or unknown; cannot tell whether it is permanent",
        )
    groups = {g.id for g in view.data.member_of or () if g.kind == "group"}
    via_group = [
        i
        for i in ctx.snapshot.active_roles
        if i.principal_id in groups and role_template(ctx, i) == GLOBAL_ADMIN
    ]
    reasons: list[str] = []
    for inst in mine:
        if inst.member_type != "Direct":
            reasons.append(f"held only through a group ({inst.member_type})")
        elif inst.end is not None:
            reasons.append(f"time-bound, ends {_fmt(inst.end)}")
        elif inst.assignment_type != "Assigned":
            reasons.append(f"a PIM activation ({inst.assignment_type}), not a standing assignment")
        elif inst.directory_scope_id != "/":
            reasons.append(f"scoped to {inst.directory_scope_id}, not the whole tenant")
    if via_group:
        reasons.append("held only through group membership")
    eligible = [
        i
        for i in ctx.snapshot.eligible_roles
        if i.principal_id == oid and role_template(ctx, i) == GLOBAL_ADMIN
    ]
    if eligible and not mine:
        reasons.append("only eligible through PIM (must be activated, which may be what is broken)")
    if not reasons:
        reasons.append("no Global Administrator assignment at all")
    return emit.failed(
        view.resource,
        f"{upn} lacks a permanent active Global Administrator assignment: " + "; ".join(reasons),
    )


@register(
    CheckMeta(
        id="BG-004",
        title="Emergency account holds Global Administrator permanently and directly",
        severity=Severity.CRITICAL,
        rationale="Emergency access must not depend on PIM activation, a group or an end date: "
        "Microsoft asks for a permanent active Global Administrator assignment.",
        remediation="Assign Global Administrator to the account directly as an active, permanent "
        "assignment at tenant scope (/), not eligible and not through a group.",
        references=(LEARN_EMERGENCY_ACCESS, LEARN_PIM_PLAN),
        permissions=_GA_PERMISSIONS,
    )
)
@per_account()
def bg004_permanent_ga(ctx: CheckContext, emit: Emit, account: AccountView) -> Iterator[Finding]:
    active = ctx.snapshot.status_of("activeRoles")
    if not active.complete:
        yield emit.error(
            account.resource,
            f"{account.upn}: {describe_incomplete(active, 'active role assignments')}",
        )
    else:
        yield _ga_finding(ctx, emit, account)


@register(
    CheckMeta(
        id="BG-005",
        title="Emergency account has a phishing-resistant credential",
        severity=Severity.CRITICAL,
        rationale="Mandatory MFA applies to emergency accounts too; a FIDO2 passkey or a "
        "certificate keeps them usable and resistant to phishing.",
        remediation="Register a FIDO2 security key (or certificate-based authentication) for the "
        "account and store it in the safe.",
        references=(LEARN_EMERGENCY_ACCESS, LEARN_MANDATORY_MFA),
        permissions=_METHOD_PERMISSIONS,
    )
)
@per_account("methods")
def bg005_phishing_resistant(
    ctx: CheckContext, emit: Emit, account: AccountView
) -> Iterator[Finding]:
    strong = [m for m in account.data.methods or () if m.short_type in PHISHING_RESISTANT]
    if strong:
        kinds = ", ".join(sorted({method_label(m.short_type, m.model) for m in strong}))
        yield emit.passed(account.resource, f"{account.upn} has {kinds}")
    else:
        yield emit.failed(
            account.resource,
            f"{account.upn} has no FIDO2 key and no certificate-based authentication",
        )


@register(
    CheckMeta(
        id="BG-006",
        title="Emergency account has no person-bound or weak methods",
        severity=Severity.HIGH,
        rationale="A phone, Authenticator app, OATH app, email, Windows Hello, a platform "
        "credential or a live Temporary Access Pass ties the account to one person or device, or "
        "lets someone bypass the safe. A method type breakglass does not know fails too.",
        remediation="Remove those methods; keep only the FIDO2 key or certificate (and password).",
        references=(LEARN_EMERGENCY_ACCESS, LEARN_METHODS),
        permissions=_METHOD_PERMISSIONS,
    )
)
@per_account("methods")
def bg006_no_person_bound(ctx: CheckContext, emit: Emit, account: AccountView) -> Iterator[Finding]:
    bad: list[str] = []
    unknown: list[str] = []
    for method in account.data.methods or ():
        kind = method.short_type
        if is_unknown(kind):
            unknown.append(method.odata_type)
        elif is_person_bound(kind, method.is_usable, method.usability_reason):
            label = PERSON_BOUND[kind]
            if method.usability_reason:
                label += f" ({method.usability_reason})"
            bad.append(label)
    upn = account.upn
    problems: list[str] = []
    if bad:
        problems.append(f"person-bound or weak methods: {', '.join(sorted(set(bad)))}")
    if unknown:
        # A type we cannot classify may be person-bound: doubt resolves toward a finding.
        problems.append(
            "methods of a type breakglass does not know, so cannot vouch for: "
            + ", ".join(sorted(set(unknown)))
        )
    if problems:
        yield emit.failed(account.resource, f"{upn} has " + "; and ".join(problems))
    else:
        yield emit.passed(account.resource, f"{upn} has no person-bound or weak methods")


@register(
    CheckMeta(
        id="BG-007",
        title="Enough healthy emergency accounts",
        severity=Severity.HIGH,
        rationale="Microsoft asks for at least two emergency accounts so one lost key or one "
        "broken account does not leave the tenant without a way in.",
        remediation="Fix the failing accounts (BG-001, BG-004, BG-005) or declare another healthy one.",
        references=(LEARN_EMERGENCY_ACCESS,),
        permissions=tuple(dict.fromkeys(("User.Read.All", *_GA_PERMISSIONS, *_METHOD_PERMISSIONS))),
    )
)
def bg007_enough_healthy(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    needed = ctx.settings.thresholds.min_healthy_accounts
    tenant = tenant_resource(ctx)
    healthy: list[str] = []
    uncertain: list[str] = []
    results: dict[str, list[Finding]] = {}
    for check_fn in (bg001_exists_enabled, bg004_permanent_ga, bg005_phishing_resistant):
        for finding in check_fn(ctx, Emit(_HEALTH_PROBE_META)):
            results.setdefault(finding.resource.id, []).append(finding)
    for declared in ctx.settings.accounts:
        statuses = {f.status for f in results.get(declared.object_id, [])}
        if statuses == {Status.PASS}:
            healthy.append(declared.upn)
        elif Status.FAIL not in statuses:
            uncertain.append(declared.upn)
    summary = f"{len(healthy)} of {len(ctx.settings.accounts)} declared accounts are healthy"
    if healthy:
        summary += f" ({', '.join(healthy)})"
    if len(healthy) >= needed:
        yield emit.passed(tenant, f"{summary}; at least {needed} needed")
    elif len(healthy) + len(uncertain) >= needed:
        yield emit.error(
            tenant,
            f"{summary}; {', '.join(uncertain)} could not be fully checked, so whether "
            f"{needed} are healthy is unknown",
        )
    else:
        yield emit.failed(tenant, f"{summary}; at least {needed} needed")


_HEALTH_PROBE_META = CheckMeta(
    id="BG-007", title="", severity=Severity.HIGH, rationale="", remediation=""
)


@register(
    CheckMeta(
        id="BG-008",
        title="Credential rotated after use",
        severity=Severity.HIGH,
        rationale="After an emergency account is used its credential has left the safe; until it "
        "is re-registered or reset, whoever held it can use it again.",
        remediation="Reset the password and re-register (or re-seal) the FIDO2 key, then close the "
        "after-action review; for a drill, record a rotation waiver in the review.",
        references=(LEARN_EMERGENCY_ACCESS,),
        permissions=("User.Read.All", "AuditLog.Read.All", "UserAuthenticationMethod.Read.All"),
    )
)
@per_account("signInActivity", "methods", reads=("lastPasswordChangeDateTime",))
def bg008_rotated_after_use(
    ctx: CheckContext, emit: Emit, account: AccountView
) -> Iterator[Finding]:
    upn = account.upn
    activity = account.data.sign_in_activity
    last_use = activity.last_successful_sign_in if activity else None
    methods = account.data.methods or ()
    known = credential_changes(account.user, methods)
    if last_use is None:
        yield emit.passed(account.resource, f"{upn} has no recorded successful sign-in")
        return
    if not known:
        yield emit.error(
            account.resource,
            f"{upn}: Graph gave no password-change or credential-registration time, so "
            "rotation after use cannot be confirmed",
        )
        return
    rotated = max(c.at for c in known)
    if credential_changes_after(account.user, methods, last_use):
        yield emit.passed(
            account.resource,
            f"{upn}: credentials changed {_fmt(rotated)}, after the last use {_fmt(last_use)}",
        )
        return
    waivers = ctx.stored.rotation_waivers if ctx.stored is not None else {}
    waiver = waivers.get(account.declared.object_id)
    if waiver is not None and waiver >= last_use:
        yield emit.passed(
            account.resource,
            f"{upn}: last use {_fmt(last_use)} is covered by a closed review's rotation waiver",
        )
        return
    yield emit.failed(
        account.resource,
        f"{upn} signed in successfully {_fmt(last_use)} but its credentials were last "
        f"changed {_fmt(rotated)}",
    )


@register(
    CheckMeta(
        id="BG-009",
        title="Emergency account validated recently",
        severity=Severity.MEDIUM,
        rationale="Microsoft asks to validate emergency accounts at least every 90 days: an "
        "untested account may not work when needed.",
        remediation="Run a drill: sign in from the secure workstation with the safe's key, then "
        "complete the after-action review.",
        references=(LEARN_EMERGENCY_ACCESS, LEARN_SIGN_IN_LOGS),
        permissions=("User.Read.All", "AuditLog.Read.All"),
    )
)
@per_account("signInActivity")
def bg009_validated(ctx: CheckContext, emit: Emit, account: AccountView) -> Iterator[Finding]:
    days = ctx.settings.thresholds.validation_days
    cutoff = ctx.now - timedelta(days=days)
    upn = account.upn
    activity = account.data.sign_in_activity
    last_use = activity.last_successful_sign_in if activity else None
    drills = ctx.stored.drills if ctx.stored is not None else {}
    drill = drills.get(account.declared.object_id)
    drill_at = datetime.combine(drill, datetime.min.time(), ctx.now.tzinfo) if drill else None
    latest = max([d for d in (last_use, drill_at) if d is not None], default=None)
    if latest is not None and latest >= cutoff:
        how = "drill" if latest == drill_at else "successful sign-in"
        yield emit.passed(account.resource, f"{upn}: last {how} {_fmt(latest)}, within {days} days")
    else:
        yield emit.failed(
            account.resource,
            f"{upn}: no successful sign-in or recorded drill in the last {days} days "
            f"(last successful sign-in: {_fmt(last_use)})",
        )


@register(
    CheckMeta(
        id="BG-010",
        title="Emergency account has no licences",
        severity=Severity.LOW,
        rationale="A licence brings a mailbox and apps: phishing surface and reasons to use the "
        "account day to day.",
        remediation="Remove all licences from the emergency account.",
        references=(LEARN_EMERGENCY_ACCESS,),
        permissions=("User.Read.All",),
    )
)
@per_account(reads=("assignedLicenses",))
def bg010_no_licences(ctx: CheckContext, emit: Emit, account: AccountView) -> Iterator[Finding]:
    skus = account.user.assigned_license_skus
    if skus:
        yield emit.failed(
            account.resource,
            f"{account.upn} has {len(skus)} licence(s) assigned ({', '.join(skus)})",
        )
    else:
        yield emit.passed(account.resource, f"{account.upn} has no licences")


@register(
    CheckMeta(
        id="BG-011",
        title="Emergency account has no stray group memberships",
        severity=Severity.MEDIUM,
        rationale="Every group an emergency account is in can be used to target it with policy, "
        "licences or access reviews; only the declared exclusion groups belong.",
        remediation="Remove the account from every group except the declared exclusion groups.",
        references=(LEARN_EMERGENCY_ACCESS,),
        permissions=("User.Read.All",),
    )
)
@per_account("memberOf")
def bg011_no_stray_groups(ctx: CheckContext, emit: Emit, account: AccountView) -> Iterator[Finding]:
    allowed = set(ctx.settings.exclusion_groups)
    stray = [g for g in account.data.member_of or () if g.kind == "group" and g.id not in allowed]
    if stray:
        names = ", ".join(g.display_name or g.id for g in stray)
        yield emit.failed(
            account.resource,
            f"{account.upn} is a member of {len(stray)} group(s) other than the "
            f"declared exclusion groups: {names}",
            related=[Resource("group", g.id, g.display_name) for g in stray],
        )
    else:
        yield emit.passed(
            account.resource, f"{account.upn} is only in the declared exclusion groups"
        )
