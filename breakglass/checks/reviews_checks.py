"""Review and monitor checks BG-040, BG-042 (DESIGN §7, §8, §9).

They read ``ctx.stored`` (``StoredFacts``): the overdue reviews and the health of each
sign-in stream. Without a store there is nothing to read: the checks answer ``skipped`` with
the reason, never ``pass``. Whether a stream is blind is decided by ``watcher.health`` (THE
blindness rule, shared with ``/readyz`` and the blind alert), never here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING

from breakglass.checks._model import CheckContext, CheckMeta, Finding, Resource, Severity
from breakglass.checks._reasons import STORE_NOT_READ
from breakglass.checks._registry import Emit, register
from breakglass.checks._resources import tenant_resource
from breakglass.checks.references import LEARN_EMERGENCY_ACCESS, LEARN_SIGN_IN_LOGS
from breakglass.checks.stored import OverdueReview

if TYPE_CHECKING:
    from breakglass.watcher.health import StreamHealth

__all__: list[str] = []


def _span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} hours"


@register(
    CheckMeta(
        id="BG-040",
        title="After-action reviews are completed on time",
        severity=Severity.HIGH,
        rationale="An emergency-account use nobody accounts for is indistinguishable from misuse.",
        remediation="Submit the overdue review (operator) or approve it (a second person): "
        "`breakglass reviews submit|approve`.",
        references=(LEARN_EMERGENCY_ACCESS,),
        # The watcher opens reviews from the sign-in logs; evidence comes from directory audits.
        permissions=("AuditLog.Read.All",),
    )
)
def bg040_reviews_overdue(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    if ctx.stored is None:
        for account in ctx.settings.accounts:
            yield emit.skipped(Resource("user", account.object_id, account.upn), STORE_NOT_READ)
        return
    by_account: dict[str, list[OverdueReview]] = {}
    for item in ctx.stored.overdue_reviews:
        by_account.setdefault(item.account_id, []).append(item)
    declared = {a.object_id: a.upn for a in ctx.settings.accounts}
    for account_id in sorted(set(declared) | set(by_account)):
        upn = declared.get(account_id) or by_account[account_id][0].account_upn
        resource = Resource("user", account_id, upn)
        items = by_account.get(account_id)
        if not items:
            yield emit.passed(resource, f"{upn} has no overdue after-action review")
            continue
        for item in items:
            step = "submission" if item.state == "open" else "approval"
            yield emit.failed(
                resource,
                f"review {item.review_id} ({item.kind}) of {upn} is overdue for {step} "
                f"by {_span(ctx.now - item.due_at)} (due {item.due_at:%Y-%m-%d %H:%M} UTC)",
            )


@register(
    CheckMeta(
        id="BG-042",
        title="The sign-in watcher is seeing the logs",
        severity=Severity.CRITICAL,
        rationale="A monitor that cannot see is itself an alert: emergency-account sign-ins "
        "would go unnoticed.",
        remediation="Check `breakglass watch --once` (permission AuditLog.Read.All, Entra ID "
        "P1, network) and that the watcher service runs.",
        references=(LEARN_EMERGENCY_ACCESS, LEARN_SIGN_IN_LOGS),
        permissions=("AuditLog.Read.All",),
    )
)
def bg042_monitor_blind(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    resource = tenant_resource(ctx)
    if ctx.stored is None:
        yield emit.skipped(resource, STORE_NOT_READ)
        return
    streams: tuple[StreamHealth, ...] = ctx.stored.streams
    # The rule (and its window) is watcher.health's; the check only reports it.
    window = max((s.blind_after_seconds for s in streams), default=0)
    blind = [s for s in streams if s.blind]
    if blind:
        yield emit.failed(
            resource,
            f"The sign-in watcher is blind (no successful poll within {window} s): "
            + "; ".join(s.problem or f"{s.stream} is blind" for s in blind),
        )
    elif not streams:
        yield emit.error(
            resource,
            "the store reported no sign-in stream to judge; whether the watcher sees is unknown",
        )
    else:
        names = ", ".join(s.stream for s in streams)
        yield emit.passed(
            resource,
            f"The sign-in watcher polled every stream ({names}) successfully within the last "
            f"{window} s",
        )
