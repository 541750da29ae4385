"""BG-041: the printed, signed runbook is current (DESIGN §7, §12).

The data comes from the store: ``ctx.stored.runbook_release`` is the latest recorded
``RunbookRelease`` (or None when none was ever recorded). Without ``ctx.stored`` the store
was not consulted, so the check is skipped — never passed.
"""

from __future__ import annotations

from collections.abc import Iterator

from breakglass.checks._model import CheckContext, CheckMeta, Finding, Severity
from breakglass.checks._reasons import describe_incomplete
from breakglass.checks._registry import Emit, register
from breakglass.checks._resources import tenant_resource
from breakglass.checks.references import LEARN_EMERGENCY_ACCESS

__all__: list[str] = []


@register(
    CheckMeta(
        id="BG-041",
        title="Runbook current",
        severity=Severity.MEDIUM,
        rationale="In an outage the custodians follow the printed runbook. If it expired, or "
        "the accounts, custodians or registered keys changed since it was printed, it sends "
        "them to the wrong account, safe or key.",
        remediation="Print and sign a new runbook (`breakglass runbook build`), replace the "
        "copies in the safes and destroy the old ones.",
        references=(LEARN_EMERGENCY_ACCESS,),
        permissions=("User.Read.All", "UserAuthenticationMethod.Read.All"),
    )
)
def bg041_runbook_current(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    from breakglass.runbook import inventory_fingerprint, release_problems

    tenant = tenant_resource(ctx)
    if ctx.stored is None:
        yield emit.skipped(
            tenant,
            "the runbook release records were not read (no store for this run), so whether "
            "the printed runbook is current is unknown",
        )
        return
    release = ctx.stored.runbook_release
    if release is None:
        yield emit.failed(tenant, release_problems(None, "", ctx.now)[0])
        return
    unread = [
        (declared.upn, status)
        for declared in ctx.settings.accounts
        if not (status := ctx.snapshot.status_of(f"methods:{declared.object_id}")).complete
    ]
    if unread:
        # Without every account's methods the fingerprint cannot be compared; expiry can.
        expired = release_problems(release, release.inventory_fingerprint, ctx.now)
        upn, status = unread[0]
        why = f"{upn}: {describe_incomplete(status, 'the authentication methods')}"
        if expired:
            yield emit.failed(
                tenant, f"{expired[0]} (whether the inventory changed is unknown: {why})"
            )
        else:
            yield emit.error(
                tenant,
                f"cannot tell whether the credentials changed since runbook {release.doc_id} "
                f"version {release.version} was printed: {why}",
            )
        return
    current = inventory_fingerprint(ctx.settings.accounts, ctx.snapshot)
    problems = release_problems(release, current, ctx.now)
    if problems:
        yield emit.failed(tenant, "; ".join(problems))
    else:
        yield emit.passed(
            tenant,
            f"runbook {release.doc_id} version {release.version} (printed "
            f"{release.issued_at:%Y-%m-%d}, valid until {release.valid_until:%Y-%m-%d}) matches "
            "the current accounts, custodians and credentials",
        )
