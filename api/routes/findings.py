"""``/api/v1/findings`` (the latest run's) and ``/api/v1/runs`` (every check run)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from breakglass import audit, jobs
from breakglass._time import utcnow
from breakglass.overview import latest_findings
from breakglass.store.runs import get_run, list_runs
from breakglass.store.tables import FindingRow

from ..deps import SessionDep, SettingsDep, StoreDep
from ..pagination import PageDep, json_response
from ..problems import Problem, problem_responses
from ..schemas import Page
from ..schemas.findings import FindingOut, RunDetailOut, RunIn, RunOut
from ._common import Id, Operator, Viewer
from .accounts import finding_out

__all__ = ["router"]

router = APIRouter(tags=["findings"])

Status = Annotated[
    str | None,
    Query(
        pattern=r"^(pass|fail|error|skipped|accepted)$",
        description="pass, fail, error, skipped or accepted",
    ),
]
Severity = Annotated[
    str | None, Query(pattern=r"^(critical|high|medium|low|info)$", description="critical … info")
]
Check = Annotated[str | None, Query(pattern=r"^(?i:BG-\d{3})$", description="A check id (BG-020).")]
AccountFilter = Annotated[
    str | None, Query(max_length=255, description="Object id or UPN of a declared account.")
]


@router.get(
    "/findings",
    response_model=Page[FindingOut],
    summary="Findings of the latest run",
    responses=problem_responses(409),
)
def findings(
    _: Viewer,
    session: SessionDep,
    settings: SettingsDep,
    page: PageDep,
    status: Status = None,
    severity: Severity = None,
    check: Check = None,
    account: AccountFilter = None,
) -> Response:
    """The latest check run's findings, failing and most severe first. The cursor is tied
    to that run: when a newer run arrives mid-way the next page is refused (409), so a
    listing never mixes two runs."""
    key = page.key("findings", int, int)
    run_id, start = key if key is not None else (None, 0)
    if start < 0:
        raise Problem(400, "the 'next' cursor is malformed", type_="invalid-cursor")
    run, views = latest_findings(
        session,
        settings,
        status=status,
        severity=severity,
        check=check,
        account=account,
        offset=start,
        limit=page.fetch,
    )
    if run is None:
        return json_response(Page[FindingOut](items=[], next=None))
    if run_id is not None and run_id != run.id:
        raise Problem(
            409,
            f"check run {run.id} replaced run {run_id} since the first page; list again "
            "from the first page",
            type_="stale-cursor",
        )
    numbered = list(enumerate(views, start))
    items, cursor = page.page("findings", numbered, lambda pair: [run.id, pair[0] + 1])
    return json_response(Page[FindingOut](items=[finding_out(f) for _, f in items], next=cursor))


def _run_out(run: object) -> RunOut:
    return RunOut.model_validate(run, from_attributes=True)


def _finding_row(row: FindingRow) -> FindingOut:
    from breakglass.checks import CATALOG

    check = CATALOG.get(row.check_id)
    return FindingOut(
        id=row.id,
        check_id=row.check_id,
        title=check.meta.title if check else row.check_id,
        status=row.status,
        severity=row.severity,
        resource_type=row.resource_type,
        resource_id=row.resource_id,
        resource_name=row.resource_name,
        message=row.message,
        remediation=row.remediation,
    )


@router.get("/runs", response_model=Page[RunOut], summary="Check runs")
def runs(_: Viewer, session: SessionDep, settings: SettingsDep, page: PageDep) -> Page[RunOut]:
    """Every stored check run, newest first."""
    key = page.key("runs", int)
    rows = list_runs(
        session=session,
        tenant_id=settings.tenant.id,
        before_id=key[0] if key else None,
        limit=page.fetch,
    )
    items, cursor = page.page("runs", rows, lambda r: [r.id])
    return Page(items=[_run_out(r) for r in items], next=cursor)


@router.get("/runs/{run_id}", response_model=RunDetailOut, summary="One check run")
def run(run_id: Id, _: Viewer, session: SessionDep, settings: SettingsDep) -> RunDetailOut:
    """The run and all its findings, in check order."""
    row = get_run(session=session, tenant_id=settings.tenant.id, run_id=run_id)
    if row is None:
        raise Problem(404, f"no check run {run_id}", type_="not-found")
    return RunDetailOut(
        **_run_out(row).model_dump(), findings=[_finding_row(f) for f in row.findings]
    )


@router.post(
    "/runs",
    response_model=RunOut,
    status_code=201,
    summary="Run the checks now (operator)",
    responses=problem_responses(502),
)
def run_checks(
    principal: Operator, store: StoreDep, settings: SettingsDep, body: RunIn | None = None
) -> RunOut:
    """Read the tenant from Microsoft Graph, evaluate the whole catalog and store the run,
    as the scheduled check does. Takes as long as the tenant read (seconds to minutes).
    The audit log records who asked for it."""
    result = jobs.run_check(store, settings)
    with store.transaction() as session:
        audit.append(
            session,
            tenant_id=settings.tenant.id,
            actor=principal.name,
            action="check.requested",
            data={"actor_id": principal.id, "run_id": result.run_id},
            at=utcnow(),
        )
    with store.session() as session:
        row = get_run(session=session, tenant_id=settings.tenant.id, run_id=result.run_id or 0)
        if row is None:  # pragma: no cover - run_check with a store always stores the run
            raise Problem(500, "the check run was not stored")
        return _run_out(row)
