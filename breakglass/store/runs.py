"""Check runs and findings: save a run, read the previous one (drift, BG-024)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from breakglass.checks import CheckRun
from breakglass.store.tables import CheckRunRow, FindingRow

__all__ = ["latest_run", "save_run"]


def save_run(*, session: Session, run: CheckRun, facts: dict[str, Any]) -> int:
    row = CheckRunRow(
        tenant_id=run.tenant_id,
        started_at=run.started_at,
        finished_at=run.finished_at,
        complete=run.complete,
        summary=run.summary,
        facts=facts,
        findings=[
            FindingRow(
                tenant_id=run.tenant_id,
                check_id=f.check_id,
                status=f.status.value,
                severity=f.severity.value,
                resource_type=f.resource.type,
                resource_id=f.resource.id,
                resource_name=f.resource.name,
                related=[r.as_dict() for r in f.related],
                message=f.message,
                remediation=f.remediation,
            )
            for f in run.findings
        ],
    )
    session.add(row)
    session.flush()
    return row.id


def latest_run(
    *, session: Session, tenant_id: str, complete_only: bool = False
) -> CheckRunRow | None:
    query = select(CheckRunRow).where(CheckRunRow.tenant_id == tenant_id)
    if complete_only:
        query = query.where(CheckRunRow.complete.is_(True))
    return session.scalars(query.order_by(CheckRunRow.id.desc()).limit(1)).first()
