"""The check job: snapshot → checks → stored run (DESIGN §4), and the facts the store adds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import structlog
from sqlalchemy.orm import Session

from breakglass._time import utcnow
from breakglass.checks import CheckContext, CheckRun, run_checks, run_facts
from breakglass.checks.stored import OverdueReview, RunFacts, StoredFacts
from breakglass.config import Settings
from breakglass.snapshot import TenantSnapshot
from breakglass.store import Store

__all__ = ["SnapshotProvider", "load_stored_facts", "run_check"]

log = structlog.get_logger(__name__)

#: Reads the tenant (Graph by default; tests hand in a simulator-backed or fixed one).
SnapshotProvider = Callable[[Settings], TenantSnapshot]


def load_stored_facts(session: Session, settings: Settings, now: datetime) -> StoredFacts:
    """Everything the store tells the checks, read in the caller's session."""
    from breakglass.reviews import drills, overdue_reviews, rotation_waivers
    from breakglass.runbook import latest_release
    from breakglass.store.runs import latest_run
    from breakglass.watcher import streams_health

    previous = latest_run(session=session, tenant_id=settings.tenant.id, complete_only=True)
    return StoredFacts(
        overdue_reviews=tuple(
            OverdueReview(
                review_id=review.id,
                kind=review.kind,
                state=review.state,
                account_id=review.account_id,
                account_upn=review.account_upn,
                due_at=deadline.due_at,
            )
            for review, deadline in overdue_reviews(session, settings, now)
        ),
        streams=streams_health(session, settings, now),
        runbook_release=latest_release(session=session, tenant_id=settings.tenant.id),
        previous_run=RunFacts.from_json(previous.facts) if previous and previous.facts else None,
        drills=drills(session, settings.tenant.id),
        rotation_waivers=rotation_waivers(session, settings.tenant.id),
    )


def run_check(
    store: Store | None,
    settings: Settings,
    *,
    snapshot_provider: SnapshotProvider | None = None,
    now: datetime | None = None,
) -> CheckRun:
    """Take a snapshot, evaluate the catalog and store the run.

    ``store=None`` (``check --no-store``) reads and writes nothing: the checks that need
    history answer ``skipped``.
    """
    from breakglass.store.runs import save_run

    started = utcnow()
    moment = now or started
    stored: StoredFacts | None = None
    if store is not None:
        # Read the store before the tenant: a broken database fails in a second, not after
        # a minute of Graph reads.
        with store.session() as session:
            stored = load_stored_facts(session, settings, moment)
    if snapshot_provider is None:
        from breakglass.graph import take_snapshot

        snapshot_provider = take_snapshot
    snapshot = snapshot_provider(settings)
    ctx = CheckContext(settings=settings, snapshot=snapshot, now=moment, stored=stored)
    run = CheckRun(
        tenant_id=settings.tenant.id,
        started_at=started,
        finished_at=utcnow(),
        findings=tuple(run_checks(ctx)),
    )
    if store is not None:
        with store.transaction() as session:
            run_id = save_run(session=session, run=run, facts=run_facts(ctx).to_json())
        log.info("check.stored", run_id=run_id, **run.summary)
    return run
