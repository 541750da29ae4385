"""Tenant authentication-method policy: BG-050 (FIDO2 usable by the emergency accounts)."""

from __future__ import annotations

from collections.abc import Iterator

from breakglass.checks._model import CheckContext, CheckMeta, Finding, Severity
from breakglass.checks._reasons import describe_incomplete
from breakglass.checks._registry import Emit, register
from breakglass.checks._resources import tenant_resource
from breakglass.checks.references import LEARN_FIDO2

__all__: list[str] = []

ALL_USERS = "all_users"


@register(
    CheckMeta(
        id="BG-050",
        title="FIDO2 sign-in is usable by the emergency accounts",
        severity=Severity.CRITICAL,
        rationale="If the FIDO2 (passkey) method is disabled, or does not target the emergency "
        "accounts, their keys in the safe stop working.",
        remediation="Enable the Passkey (FIDO2) method in the authentication methods policy and "
        "target all users or a group that contains every emergency account; exclude none of them.",
        references=(LEARN_FIDO2,),
        permissions=("Policy.Read.All",),
    )
)
def bg050_fido2_usable(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    tenant = tenant_resource(ctx)
    status = ctx.snapshot.status_of("methodConfigurations")
    config = ctx.snapshot.method_configurations.get("Fido2")
    if not status.complete or config is None:
        yield emit.error(tenant, describe_incomplete(status, "the FIDO2 method configuration"))
        return
    if config.state is None:
        yield emit.error(
            tenant, "the FIDO2 method state is missing or a value breakglass does not know"
        )
        return
    if config.state != "enabled":
        yield emit.failed(tenant, f"the FIDO2 (passkey) method is {config.state} in the tenant")
        return
    included = set(config.include_target_ids)
    excluded = set(config.exclude_target_ids)
    problems: list[str] = []
    unknown: list[str] = []
    for declared in ctx.settings.accounts:
        data = ctx.snapshot.accounts.get(declared.object_id)
        if data is None or data.member_of is None:
            unknown.append(declared.upn)
            continue
        groups = {g.id for g in data.member_of if g.kind == "group"} | {declared.object_id}
        if groups & excluded:
            problems.append(f"{declared.upn} is excluded")
        elif ALL_USERS not in included and not groups & included:
            problems.append(f"{declared.upn} is not in any targeted group")
    if problems:
        yield emit.failed(tenant, "FIDO2 is enabled but " + "; ".join(problems))
    elif unknown:
        yield emit.error(
            tenant,
            f"FIDO2 is enabled, but the group memberships of {', '.join(unknown)} could not be "
            "read, so whether it targets them is unknown",
        )
    else:
        yield emit.passed(tenant, "FIDO2 is enabled and targets every emergency account")
