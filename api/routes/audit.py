"""``/api/v1/audit``: the tamper-evident log, its verification, the latest checkpoint."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from breakglass import audit

from ..deps import SessionDep, SettingsDep
from ..pagination import PageDep
from ..problems import Problem, problem_responses
from ..schemas import Page
from ..schemas.audit import (
    AuditEntryOut,
    AuditProblemOut,
    AuditVerifyOut,
    CheckpointOut,
    CheckpointResultOut,
)
from ._common import Viewer

__all__ = ["router"]

router = APIRouter(tags=["audit"])
_SCOPE = "audit"


@router.get("/audit", response_model=Page[AuditEntryOut], summary="Audit log entries")
def entries(
    _: Viewer, session: SessionDep, settings: SettingsDep, page: PageDep
) -> Page[AuditEntryOut]:
    """Newest first: who did what, when, with the recorded data and the chain hashes."""
    key = page.key(_SCOPE, int)
    found = audit.entries(
        session,
        tenant_id=settings.tenant.id,
        before_seq=key[0] if key else None,
        limit=page.fetch,
    )
    items, cursor = page.page(_SCOPE, found, lambda e: [e.seq])
    return Page(
        items=[AuditEntryOut.model_validate(e, from_attributes=True) for e in items],
        next=cursor,
    )


@router.get("/audit/verify", response_model=AuditVerifyOut, summary="Verify the audit log")
def verify(_: Viewer, session: SessionDep, settings: SettingsDep) -> AuditVerifyOut:
    """The hash chain, then every exported checkpoint (``audit.checkpoint_dir``) and every
    stored one, as ``breakglass audit verify``. ``ok`` false is still a 200."""
    report = audit.verify_configured(session, settings)
    return AuditVerifyOut(
        ok=report.ok,
        size=report.size,
        head=report.head,
        checkpoints=[
            CheckpointResultOut(
                source=Path(c.source).name if c.external else c.source,
                external=c.external,
                size=c.size,
                ok=c.ok,
            )
            for c in report.checkpoints
        ],
        problems=[AuditProblemOut(**p.as_dict()) for p in report.problems],
        notes=list(report.notes),
    )


@router.get(
    "/audit/checkpoints/latest",
    response_model=CheckpointOut,
    responses=problem_responses(404),
    summary="Latest checkpoint",
)
def latest_checkpoint(_: Viewer, session: SessionDep) -> CheckpointOut:
    """The most recent signed checkpoint stored in the database (404 before the first)."""
    found = audit.latest_checkpoint(session)
    if found is None:
        raise Problem(404, "no audit checkpoint has been written yet", type_="not-found")
    return CheckpointOut.model_validate(found, from_attributes=True)
