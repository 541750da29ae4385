"""Tenant authentication-method policy: BG-050 (FIDO2 usable by the emergency accounts).

Besides the tenant-wide state and targets, BG-050 fails per account when the FIDO2
policy's enforced key restrictions (AAGUID allow or block list) refuse every key that
account has registered (DESIGN §7 edge rules): ``resource`` is the account, ``related`` the
FIDO2 method configuration.
"""

from __future__ import annotations

from collections.abc import Iterator

from breakglass.checks._model import CheckContext, CheckMeta, Finding, Resource, Severity
from breakglass.checks._reasons import NOT_FOUND, describe_incomplete
from breakglass.checks._registry import Emit, register
from breakglass.checks._resources import account_resource, tenant_resource
from breakglass.checks.references import LEARN_FIDO2
from breakglass.snapshot import MethodConfiguration

__all__: list[str] = []

ALL_USERS = "all_users"


@register(
    CheckMeta(
        id="BG-050",
        title="FIDO2 sign-in is usable by the emergency accounts",
        severity=Severity.CRITICAL,
        rationale="If the FIDO2 (passkey) method is disabled, does not target the emergency "
        "accounts, or its enforced key restrictions refuse their keys' models, the keys in the "
        "safe stop working.",
        remediation="Enable the Passkey (FIDO2) method in the authentication methods policy and "
        "target all users or a group that contains every emergency account; exclude none of them. "
        "If key restrictions are enforced, allow (or stop blocking) the AAGUIDs of the keys in "
        "the safe.",
        references=(LEARN_FIDO2,),
        permissions=("Policy.Read.All", "UserAuthenticationMethod.Read.All"),
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
        if (
            data is not None
            and data.user is None
            and ctx.snapshot.status_of(f"user:{declared.object_id}").complete
        ):
            yield emit.skipped(account_resource(declared), f"{declared.upn}: {NOT_FOUND}")
            continue
        if data is None or data.member_of is None:
            unknown.append(declared.upn)
            continue
        groups = {g.id for g in data.member_of if g.kind == "group"} | {declared.object_id}
        if groups & excluded:
            problems.append(f"{declared.upn} is excluded")
        elif ALL_USERS not in included and not groups & included:
            problems.append(f"{declared.upn} is not in any targeted group")
    yield from _key_restrictions(ctx, emit, config)
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


def _key_restrictions(
    ctx: CheckContext, emit: Emit, config: MethodConfiguration
) -> Iterator[Finding]:
    """Per account: fail when the enforced AAGUID allow/block list refuses all of its keys."""
    restrictions = config.key_restrictions
    if restrictions is None or restrictions.is_enforced is False:
        return
    related = [Resource("authenticationMethodConfiguration", config.id, "FIDO2 (passkey)")]
    for declared in ctx.settings.accounts:
        data = ctx.snapshot.accounts.get(declared.object_id)
        if data is None or data.user is None:
            continue  # unreadable or missing: the tenant finding and BG-001 say so
        resource = account_resource(declared, data)
        if data.methods is None:
            read = ctx.snapshot.status_of(f"methods:{declared.object_id}")
            yield emit.error(
                resource,
                f"{declared.upn}: FIDO2 key restrictions are enforced, but "
                + describe_incomplete(read, "its authentication methods"),
                related=related,
            )
            continue
        keys = [m for m in data.methods if m.short_type == "fido2AuthenticationMethod"]
        if not keys:
            continue  # no key at all is BG-005's finding (or its error when unreadable)
        verdicts = [restrictions.refuses(k.aaguid) for k in keys]
        models = ", ".join(sorted({k.model or k.aaguid or k.id for k in keys}))
        if all(v is True for v in verdicts):
            listed = (
                "not on the allow list"
                if restrictions.enforcement_type == "allow"
                else ("on the block list")
            )
            yield emit.failed(
                resource,
                f"{declared.upn}: every registered FIDO2 key ({models}) is {listed} of the "
                "enforced FIDO2 key restrictions, so none of them can sign in",
                related=related,
            )
        elif not any(v is False for v in verdicts):
            yield emit.error(
                resource,
                f"{declared.upn}: cannot tell whether the enforced FIDO2 key restrictions "
                f"accept its keys ({models}): the restriction type or a key's AAGUID is "
                "missing or unknown",
                related=related,
            )
