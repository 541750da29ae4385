"""Review and monitor checks BG-040, BG-042 (DESIGN §7, §8, §9).

They read what the review layer puts in ``ctx.extras`` (``reviews_overdue``,
``poll_state``; see ``breakglass.reviews.review_extras``). Without a store there is
nothing to read: the checks answer ``skipped`` with the reason, never ``pass``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from breakglass.checks._model import CheckContext, CheckMeta, Finding, Resource, Severity
from breakglass.checks._registry import Emit, register

__all__: list[str] = []

BLIND_INTERVALS = 3
_NO_STORE = "the review store was not read in this run (run with a migrated store)"


def _tenant(ctx: CheckContext) -> Resource:
    return Resource("tenant", ctx.settings.tenant.id, ctx.settings.tenant.name)


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
    )
)
def bg040_reviews_overdue(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    overdue = ctx.extras.get("reviews_overdue")
    if overdue is None:
        for account in ctx.settings.accounts:
            yield emit.skipped(Resource("user", account.object_id, account.upn), _NO_STORE)
        return
    by_account: dict[str, list[dict[str, object]]] = {}
    for item in overdue:
        by_account.setdefault(str(item["account_id"]), []).append(item)
    declared = {a.object_id: a.upn for a in ctx.settings.accounts}
    for account_id in sorted(set(declared) | set(by_account)):
        upn = declared.get(account_id) or str(by_account[account_id][0]["account_upn"])
        resource = Resource("user", account_id, upn)
        items = by_account.get(account_id)
        if not items:
            yield emit.passed(resource, f"{upn} has no overdue after-action review")
            continue
        for item in items:
            due = item["due_at"]
            assert isinstance(due, datetime)
            step = "submission" if item["state"] == "open" else "approval"
            yield emit.failed(
                resource,
                f"review {item['review_id']} ({item['kind']}) of {upn} is overdue for {step} "
                f"by {_span(ctx.now - due)} (due {due:%Y-%m-%d %H:%M} UTC)",
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
    )
)
def bg042_monitor_blind(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
    states = ctx.extras.get("poll_state")
    resource = _tenant(ctx)
    if states is None:
        yield emit.skipped(resource, _NO_STORE)
        return
    interval = ctx.settings.thresholds.poll_interval_seconds
    limit = timedelta(seconds=BLIND_INTERVALS * interval)
    streams = ["signins", "signins_beta"] if ctx.settings.watch.non_interactive else ["signins"]
    problems: list[str] = []
    for stream in streams:
        state = states.get(stream)
        last = state.get("last_success_at") if state else None
        if not isinstance(last, datetime):
            problems.append(f"{stream} was never polled successfully")
        elif ctx.now - last > limit:
            error = state.get("last_error") if state else None
            failures = state.get("consecutive_failures") if state else 0
            problems.append(
                f"{stream} last polled successfully {_span(ctx.now - last)} ago "
                f"({failures} failed polls since; last error: {error or 'none recorded'})"
            )
    if problems:
        yield emit.failed(
            resource,
            "The sign-in watcher is blind (no successful poll within "
            f"{BLIND_INTERVALS} intervals of {interval} s): " + "; ".join(problems),
        )
    else:
        yield emit.passed(
            resource, "The sign-in watcher polled every stream successfully within 3 intervals"
        )
