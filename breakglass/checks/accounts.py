"""Account checks BG-001 … BG-011 (DESIGN §7): one emergency account at a time.

Each function is pure: it reads the ``CheckContext`` and yields findings. Data that could
not be read yields ``error`` (or ``skipped`` when the account does not exist) — never
``pass``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from breakglass.checks._accounts_common import AccountView, each_account
from breakglass.checks._common import describe_incomplete, role_template
from breakglass.checks._model import CheckContext, CheckMeta, Finding, Resource, Severity, Status
from breakglass.checks._registry import Emit, register
from breakglass.config import GLOBAL_ADMIN

__all__ = ["PERSON_BOUND_METHODS", "PHISHING_RESISTANT_METHODS"]

LEARN_EA = (
    "https://learn.microsoft.com/entra/identity/role-based-access-control/security-emergency-access"
)
LEARN_METHODS = (
    "https://learn.microsoft.com/entra/identity/authentication/concept-authentication-methods"
)
LEARN_PIM_PLAN = "https://learn.microsoft.com/entra/id-governance/privileged-identity-management/pim-deployment-plan"
LEARN_MFA = "https://learn.microsoft.com/entra/identity/authentication/concept-mandatory-multifactor-authentication"

PHISHING_RESISTANT_METHODS = frozenset(
    {"fido2AuthenticationMethod", "x509CertificateAuthenticationMethod"}
)
#: Methods tied to a person or a person's device, or weak: none belongs on an emergency account.
PERSON_BOUND_METHODS = {
    "phoneAuthenticationMethod": "phone (SMS/voice)",
    "microsoftAuthenticatorAuthenticationMethod": "Microsoft Authenticator",
    "softwareOathAuthenticationMethod": "software OATH token",
    "emailAuthenticationMethod": "email",
    "windowsHelloForBusinessAuthenticationMethod": "Windows Hello for Business",
    "temporaryAccessPassAuthenticationMethod": "Temporary Access Pass",
}
#: Method types that are neither person-bound nor weak in the sense of BG-006.
_NEUTRAL_METHODS = PHISHING_RESISTANT_METHODS | {
    "passwordAuthenticationMethod",
    "hardwareOathAuthenticationMethod",
    "platformCredentialAuthenticationMethod",
    "qrCodePinAuthenticationMethod",
    "externalAuthenticationMethod",
    "resourceAccountKeyAuthenticationMethod",
}


def _fmt(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def _views(ctx: CheckContext, emit: Emit, *needs: str) -> Iterator[AccountView | Finding]:
    return each_account(ctx, emit, *needs)


@register(
    CheckMeta(
        id="BG-001",
        title="Emergency account exists and is enabled",
        severity=Severity.CRITICAL,
        rationale="An emergency account that is missing or disabled fails exactly when it is needed.",
        remediation="Re-create or re-enable the account, then verify a sign-in from the secure workstation.",
        references=(LEARN_EA,),
        permissions=("User.Read.All",),
    )
)
def bg001_exists_enabled(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    for declared in ctx.settings.accounts:
        data = ctx.snapshot.accounts.get(declared.object_id)
        status = ctx.snapshot.status_of(f"user:{declared.object_id}")
        resource = Resource("user", declared.object_id, declared.upn)
        if data is None or not status.complete:
            yield emit.error(
                resource, f"{declared.upn}: {describe_incomplete(status, 'the user object')}"
            )
        elif data.user is None:
            yield emit.failed(
                resource, f"{declared.upn} ({declared.object_id}) does not exist in the tenant"
            )
        elif data.user.account_enabled is None:
            yield emit.error(resource, f"{declared.upn}: Graph did not say whether it is enabled")
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
        references=(LEARN_EA,),
        permissions=("User.Read.All",),
    )
)
def bg002_cloud_only(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    for view in _views(ctx, emit):
        if isinstance(view, Finding):
            yield view
            continue
        upn, user = view.declared.upn, view.user
        if user.on_premises_sync_enabled:
            yield emit.failed(view.resource, f"{upn} is synchronised from on-premises AD")
        elif user.on_premises_immutable_id:
            yield emit.failed(
                view.resource,
                f"{upn} has an on-premises immutable id, so it is (or was) tied to AD",
            )
        else:
            yield emit.passed(view.resource, f"{upn} is cloud-only")


@register(
    CheckMeta(
        id="BG-003",
        title="Emergency account uses the initial onmicrosoft.com domain",
        severity=Severity.MEDIUM,
        rationale="A custom domain can be federated, lapse or be re-pointed; the initial "
        "*.onmicrosoft.com domain cannot.",
        remediation="Rename the account's UPN to the tenant's initial *.onmicrosoft.com domain.",
        references=(LEARN_EA,),
        permissions=("User.Read.All", "Directory.Read.All"),
    )
)
def bg003_initial_domain(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    org_status = ctx.snapshot.status_of("organization")
    org = ctx.snapshot.organization
    for view in _views(ctx, emit):
        if isinstance(view, Finding):
            yield view
            continue
        upn = view.user.user_principal_name or view.declared.upn
        if not org_status.complete or org is None or not org.initial_domain:
            yield emit.error(
                view.resource,
                f"{upn}: {describe_incomplete(org_status, 'the tenant initial domain')}",
            )
            continue
        suffix = upn.rsplit("@", 1)[-1].lower()
        if suffix == org.initial_domain:
            yield emit.passed(view.resource, f"{upn} is on the initial domain {org.initial_domain}")
        else:
            yield emit.failed(
                view.resource,
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
        references=(LEARN_EA, LEARN_PIM_PLAN),
        permissions=(
            "RoleAssignmentSchedule.Read.Directory",
            "RoleEligibilitySchedule.Read.Directory",
        ),
    )
)
def bg004_permanent_ga(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    active = ctx.snapshot.status_of("activeRoles")
    for view in _views(ctx, emit):
        if isinstance(view, Finding):
            yield view
        elif not active.complete:
            yield emit.error(
                view.resource,
                f"{view.declared.upn}: {describe_incomplete(active, 'active role assignments')}",
            )
        else:
            yield _ga_finding(ctx, emit, view)


@register(
    CheckMeta(
        id="BG-005",
        title="Emergency account has a phishing-resistant credential",
        severity=Severity.CRITICAL,
        rationale="Mandatory MFA applies to emergency accounts too; a FIDO2 passkey or a "
        "certificate keeps them usable and resistant to phishing.",
        remediation="Register a FIDO2 security key (or certificate-based authentication) for the "
        "account and store it in the safe.",
        references=(LEARN_EA, LEARN_MFA),
        permissions=("UserAuthenticationMethod.Read.All",),
    )
)
def bg005_phishing_resistant(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    for view in _views(ctx, emit, "methods"):
        if isinstance(view, Finding):
            yield view
            continue
        strong = [m for m in view.data.methods or () if m.short_type in PHISHING_RESISTANT_METHODS]
        if strong:
            kinds = ", ".join(sorted({_method_label(m.short_type, m.model) for m in strong}))
            yield emit.passed(view.resource, f"{view.declared.upn} has {kinds}")
        else:
            yield emit.failed(
                view.resource,
                f"{view.declared.upn} has no FIDO2 key and no certificate-based authentication",
            )


def _method_label(short_type: str, model: str | None) -> str:
    if short_type == "fido2AuthenticationMethod":
        return f"FIDO2 key ({model})" if model else "FIDO2 key"
    if short_type == "x509CertificateAuthenticationMethod":
        return "certificate (CBA)"
    return PERSON_BOUND_METHODS.get(short_type, short_type)


@register(
    CheckMeta(
        id="BG-006",
        title="Emergency account has no person-bound or weak methods",
        severity=Severity.HIGH,
        rationale="A phone, Authenticator app, OATH app, email, Windows Hello or a live Temporary "
        "Access Pass ties the account to one person's device or lets someone bypass the safe.",
        remediation="Remove those methods; keep only the FIDO2 key or certificate (and password).",
        references=(LEARN_EA, LEARN_METHODS),
        permissions=("UserAuthenticationMethod.Read.All",),
    )
)
def bg006_no_person_bound(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    for view in _views(ctx, emit, "methods"):
        if isinstance(view, Finding):
            yield view
            continue
        bad: list[str] = []
        unknown: list[str] = []
        for method in view.data.methods or ():
            kind = method.short_type
            if kind == "temporaryAccessPassAuthenticationMethod" and method.is_usable is False:
                continue  # an expired or used TAP cannot sign in
            if kind in PERSON_BOUND_METHODS:
                bad.append(PERSON_BOUND_METHODS[kind])
            elif kind not in _NEUTRAL_METHODS:
                unknown.append(method.odata_type)
        upn = view.declared.upn
        if bad:
            yield emit.failed(
                view.resource,
                f"{upn} has person-bound or weak methods: {', '.join(sorted(set(bad)))}",
            )
        elif unknown:
            yield emit.error(
                view.resource,
                f"{upn} has an authentication method of a type breakglass does not know "
                f"({', '.join(sorted(set(unknown)))}); cannot tell whether it is person-bound",
            )
        else:
            yield emit.passed(view.resource, f"{upn} has no person-bound or weak methods")


@register(
    CheckMeta(
        id="BG-007",
        title="Enough healthy emergency accounts",
        severity=Severity.HIGH,
        rationale="Microsoft asks for at least two emergency accounts so one lost key or one "
        "broken account does not leave the tenant without a way in.",
        remediation="Fix the failing accounts (BG-001, BG-004, BG-005) or declare another healthy one.",
        references=(LEARN_EA,),
    )
)
def bg007_enough_healthy(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    needed = ctx.settings.thresholds.min_healthy_accounts
    tenant = Resource("tenant", ctx.settings.tenant.id, ctx.settings.tenant.name)
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
        references=(LEARN_EA,),
        permissions=("AuditLog.Read.All", "UserAuthenticationMethod.Read.All"),
    )
)
def bg008_rotated_after_use(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    for view in _views(ctx, emit, "signInActivity", "methods"):
        if isinstance(view, Finding):
            yield view
            continue
        upn = view.declared.upn
        activity = view.data.sign_in_activity
        last_use = activity.last_successful_sign_in if activity else None
        changes = [view.user.last_password_change] + [
            m.created for m in view.data.methods or () if m.short_type in PHISHING_RESISTANT_METHODS
        ]
        known = [c for c in changes if c is not None]
        if last_use is None:
            yield emit.passed(view.resource, f"{upn} has no recorded successful sign-in")
            continue
        if not known:
            yield emit.error(
                view.resource,
                f"{upn}: Graph gave no password-change or credential-registration time, so "
                "rotation after use cannot be confirmed",
            )
            continue
        rotated = max(known)
        if rotated >= last_use:
            yield emit.passed(
                view.resource,
                f"{upn}: credentials changed {_fmt(rotated)}, after the last use {_fmt(last_use)}",
            )
            continue
        waiver = ctx.rotation_waivers.get(view.declared.object_id)
        if waiver is not None and waiver >= last_use:
            yield emit.passed(
                view.resource,
                f"{upn}: last use {_fmt(last_use)} is covered by a closed review's rotation waiver",
            )
            continue
        yield emit.failed(
            view.resource,
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
        references=(LEARN_EA,),
        permissions=("AuditLog.Read.All",),
    )
)
def bg009_validated(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    days = ctx.settings.thresholds.validation_days
    cutoff = ctx.now - timedelta(days=days)
    for view in _views(ctx, emit, "signInActivity"):
        if isinstance(view, Finding):
            yield view
            continue
        upn = view.declared.upn
        activity = view.data.sign_in_activity
        last_use = activity.last_successful_sign_in if activity else None
        drill = ctx.drills.get(view.declared.object_id)
        drill_at = datetime.combine(drill, datetime.min.time(), ctx.now.tzinfo) if drill else None
        latest = max([d for d in (last_use, drill_at) if d is not None], default=None)
        if latest is not None and latest >= cutoff:
            how = "drill" if latest == drill_at else "successful sign-in"
            yield emit.passed(
                view.resource, f"{upn}: last {how} {_fmt(latest)}, within {days} days"
            )
        else:
            yield emit.failed(
                view.resource,
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
        references=(LEARN_EA,),
        permissions=("User.Read.All",),
    )
)
def bg010_no_licences(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    for view in _views(ctx, emit):
        if isinstance(view, Finding):
            yield view
        elif view.user.assigned_license_skus:
            yield emit.failed(
                view.resource,
                f"{view.declared.upn} has {len(view.user.assigned_license_skus)} licence(s) "
                f"assigned ({', '.join(view.user.assigned_license_skus)})",
            )
        else:
            yield emit.passed(view.resource, f"{view.declared.upn} has no licences")


@register(
    CheckMeta(
        id="BG-011",
        title="Emergency account has no stray group memberships",
        severity=Severity.MEDIUM,
        rationale="Every group an emergency account is in can be used to target it with policy, "
        "licences or access reviews; only the declared exclusion groups belong.",
        remediation="Remove the account from every group except the declared exclusion groups.",
        references=(LEARN_EA,),
        permissions=("User.Read.All",),
    )
)
def bg011_no_stray_groups(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    allowed = set(ctx.settings.exclusion_groups)
    for view in _views(ctx, emit, "memberOf"):
        if isinstance(view, Finding):
            yield view
            continue
        stray = [g for g in view.data.member_of or () if g.kind == "group" and g.id not in allowed]
        if stray:
            names = ", ".join(g.display_name or g.id for g in stray)
            yield emit.failed(
                view.resource,
                f"{view.declared.upn} is a member of {len(stray)} group(s) other than the "
                f"declared exclusion groups: {names}",
                related=[Resource("group", g.id, g.display_name) for g in stray],
            )
        else:
            yield emit.passed(
                view.resource, f"{view.declared.upn} is only in the declared exclusion groups"
            )
