"""Check runs in the store: listed newest first in pages, one by id, latest findings counted."""

from __future__ import annotations

from datetime import timedelta

from breakglass._time import utcnow
from breakglass.checks import CheckRun, Finding, Resource, Severity, Status
from breakglass.store import Store
from breakglass.store.runs import finding_counts, get_run, list_runs, save_run

TENANT = "6babcaad-604b-40ac-a9d7-9fd97c0b779f"


def _run(*findings: tuple[str, Status, Severity]) -> CheckRun:
    now = utcnow()
    return CheckRun(
        tenant_id=TENANT,
        started_at=now - timedelta(seconds=1),
        finished_at=now,
        findings=tuple(
            Finding(check, status, severity, Resource("user", "u1"), f"{check} said so")
            for check, status, severity in findings
        ),
    )


def test_runs_list_get_and_count(db_url: str) -> None:
    """Newest first, ``before_id`` continues; another tenant's run is not found; the counts
    are the latest run's, by severity and status."""
    with Store.open(db_url) as store:
        with store.transaction() as session:
            assert finding_counts(session=session, tenant_id=TENANT) == {}
            old = save_run(
                session=session, run=_run(("BG-001", Status.FAIL, Severity.HIGH)), facts={}
            )
            new = save_run(
                session=session,
                run=_run(
                    ("BG-001", Status.PASS, Severity.HIGH),
                    ("BG-002", Status.PASS, Severity.HIGH),
                    ("BG-009", Status.FAIL, Severity.MEDIUM),
                ),
                facts={},
            )
        with store.session() as session:
            assert [r.id for r in list_runs(session=session, tenant_id=TENANT)] == [new, old]
            assert [r.id for r in list_runs(session=session, tenant_id=TENANT, before_id=new)] == [
                old
            ]
            assert [r.id for r in list_runs(session=session, tenant_id=TENANT, limit=1)] == [new]
            run = get_run(session=session, tenant_id=TENANT, run_id=new)
            assert run is not None and [f.check_id for f in run.findings] == [
                "BG-001",
                "BG-002",
                "BG-009",
            ]
            assert get_run(session=session, tenant_id="other", run_id=new) is None
            assert finding_counts(session=session, tenant_id=TENANT) == {
                ("high", "pass"): 2,
                ("medium", "fail"): 1,
            }
