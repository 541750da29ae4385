"""Run the catalog over a context, apply accepted risks, summarise."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import structlog

from breakglass.checks._model import CheckContext, Finding, Resource, Severity, Status
from breakglass.checks._registry import CATALOG, Emit
from breakglass.config import AcceptedRisk

__all__ = ["CheckRun", "apply_accepted_risks", "run_checks", "summarise"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class CheckRun:
    tenant_id: str
    started_at: datetime
    finished_at: datetime
    findings: tuple[Finding, ...]
    #: The stored run's id, once ``breakglass.jobs.run_check`` has saved it.
    run_id: int | None = None

    @property
    def summary(self) -> dict[str, int]:
        return summarise(self.findings)

    @property
    def complete(self) -> bool:
        return not any(f.status is Status.ERROR for f in self.findings)

    def worst_failure(self) -> Severity | None:
        failing = [f.severity for f in self.findings if f.status is Status.FAIL]
        return max(failing, key=lambda s: s.rank) if failing else None


def summarise(findings: Iterable[Finding]) -> dict[str, int]:
    counts = Counter(f.status.value for f in findings)
    return {s.value: counts.get(s.value, 0) for s in Status}


def run_checks(ctx: CheckContext, ids: Sequence[str] | None = None) -> list[Finding]:
    """Every selected check's findings, accepted risks applied. A crashing check is an error."""
    from breakglass import checks as _catalog  # noqa: F401 - registers every check family

    findings: list[Finding] = []
    for check_id, check in sorted(CATALOG.items()):
        if ids is not None and check_id not in ids:
            continue
        emit = Emit(check.meta)
        try:
            findings.extend(check.run(ctx, emit))
        except Exception as exc:  # a bug in one check must not hide the others' results
            log.exception("check.crashed", check_id=check_id)
            findings.append(
                emit.error(
                    Resource("tenant", ctx.settings.tenant.id, ctx.settings.tenant.name),
                    f"{check_id} could not be evaluated: {type(exc).__name__}: {exc}",
                )
            )
    return apply_accepted_risks(findings, ctx.settings.accepted_risks, ctx.now)


def apply_accepted_risks(
    findings: Iterable[Finding], risks: Sequence[AcceptedRisk], now: datetime
) -> list[Finding]:
    """Failures covered by a live accepted risk become ``muted``; an expired one says so."""
    out: list[Finding] = []
    for finding in findings:
        risk = _matching(finding, risks)
        if risk is None or finding.status is not Status.FAIL:
            out.append(finding)
        elif risk.expires >= now.date():
            out.append(
                finding.muted(f"accepted by {risk.owner} until {risk.expires}: {risk.reason}")
            )
        else:
            out.append(
                replace(
                    finding,
                    message=f"{finding.message} (the accepted risk by {risk.owner} expired on "
                    f"{risk.expires}, so it no longer mutes this)",
                )
            )
    return out


def _matching(finding: Finding, risks: Sequence[AcceptedRisk]) -> AcceptedRisk | None:
    ids = {finding.resource.id.lower(), *(r.id.lower() for r in finding.related)}
    for risk in risks:
        if risk.check_id == finding.check_id and risk.resource_id.lower() in ids:
            return risk
    return None
