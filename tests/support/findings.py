"""Picking findings out of a check run."""

from __future__ import annotations

from breakglass.checks import CheckRun, Finding

__all__ = ["findings_for", "one"]


def findings_for(
    run: CheckRun | list[Finding], check_id: str, resource_id: str | None = None
) -> list[Finding]:
    items = run.findings if isinstance(run, CheckRun) else run
    return [
        f
        for f in items
        if f.check_id == check_id and (resource_id is None or f.resource.id == resource_id)
    ]


def one(run: CheckRun | list[Finding], check_id: str, resource_id: str | None = None) -> Finding:
    found = findings_for(run, check_id, resource_id)
    assert len(found) == 1, f"expected one {check_id} finding for {resource_id}, got {found}"
    return found[0]
