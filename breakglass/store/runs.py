"""Check runs and findings: save a run, read the previous one (drift, BG-024), list them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from breakglass.checks import CheckRun
from breakglass.store.tables import CheckRunRow, FindingRow

__all__ = ["finding_counts", "get_run", "latest_run", "list_runs", "save_run"]


def save_run(*, session: Session, run: CheckRun, facts: dict[str, Any]) -> int:
    """Store the run and its findings; the findings in one bulk INSERT (executemany)."""
    row = CheckRunRow(
        tenant_id=run.tenant_id,
        started_at=run.started_at,
        finished_at=run.finished_at,
        complete=run.complete,
        summary=run.summary,
        facts=facts,
    )
    session.add(row)
    session.flush()
    if run.findings:
        session.execute(
            insert(FindingRow),
            [
                {
                    "run_id": row.id,
                    "tenant_id": run.tenant_id,
                    "check_id": f.check_id,
                    "status": f.status.value,
                    "severity": f.severity.value,
                    "resource_type": f.resource.type,
                    "resource_id": f.resource.id,
                    "resource_name": f.resource.name,
                    "related": [r.as_dict() for r in f.related],
                    "message": f.message,
                    "remediation": f.remediation,
                }
                for f in run.findings
            ],
        )
    return row.id


def latest_run(
    *, session: Session, tenant_id: str, complete_only: bool = False
) -> CheckRunRow | None:
    query = select(CheckRunRow).where(CheckRunRow.tenant_id == tenant_id)
    if complete_only:
        query = query.where(CheckRunRow.complete.is_(True))
    return session.scalars(query.order_by(CheckRunRow.id.desc()).limit(1)).first()


def list_runs(
    *, session: Session, tenant_id: str, before_id: int | None = None, limit: int = 50
) -> list[CheckRunRow]:
    """Runs newest first; ``before_id`` continues after a page (keyset, stable)."""
    query = select(CheckRunRow).where(CheckRunRow.tenant_id == tenant_id)
    if before_id is not None:
        query = query.where(CheckRunRow.id < before_id)
    return list(session.scalars(query.order_by(CheckRunRow.id.desc()).limit(limit)))


def get_run(*, session: Session, tenant_id: str, run_id: int) -> CheckRunRow | None:
    """One run of the tenant (its ``findings`` load on access), or None."""
    return session.scalars(
        select(CheckRunRow).where(CheckRunRow.tenant_id == tenant_id, CheckRunRow.id == run_id)
    ).first()


def finding_counts(*, session: Session, tenant_id: str) -> dict[tuple[str, str], int]:
    """(severity, status) → number of findings in the tenant's latest run (empty before one)."""
    run = latest_run(session=session, tenant_id=tenant_id)
    if run is None:
        return {}
    rows = session.execute(
        select(FindingRow.severity, FindingRow.status, func.count())
        .where(FindingRow.run_id == run.id)
        .group_by(FindingRow.severity, FindingRow.status)
    )
    return {(severity, status): int(count) for severity, status, count in rows}
