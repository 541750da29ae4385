"""The check job: snapshot → checks → stored run (DESIGN §4), and the facts the store adds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

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


def _graph_snapshot(credential: Any | None) -> SnapshotProvider:
    """Read the tenant from Graph after the preflight (one token, one request).

    When the preflight fails (no token, Graph unreachable) the collectors still run, with a
    credential that fails at once with that reason: every read is an ``error`` naming it,
    nothing touches the network again, and the failure is logged once, not per collection.
    """

    def read(settings: Settings) -> TenantSnapshot:
        from breakglass.errors import GraphUnavailableError
        from breakglass.graph import preflight, take_snapshot, unusable_credential
        from breakglass.logs import muted

        ready = credential
        if ready is None:
            try:
                ready = preflight(settings)
            except GraphUnavailableError as exc:
                log.warning("check.graph_unavailable", reason=str(exc))
                ready = unusable_credential(exc)
        if getattr(ready, "error", None) is not None:  # the preflight's UnusableCredential
            with muted("graph.collection.failed"):
                return take_snapshot(settings, credential=ready)
        return take_snapshot(settings, credential=ready)

    return read


def run_check(
    store: Store | None,
    settings: Settings,
    *,
    snapshot_provider: SnapshotProvider | None = None,
    now: datetime | None = None,
    credential: Any | None = None,
) -> CheckRun:
    """Take a snapshot, evaluate the catalog and store the run (its id in ``run_id``).

    ``store=None`` (``check --no-store``) reads and writes nothing: the checks that need
    history answer ``skipped``. ``credential``: one that passed ``graph.preflight`` (or its
    ``unusable_credential``); without one the preflight runs here, after the store is read.
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
        snapshot_provider = _graph_snapshot(credential)
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
        run = replace(run, run_id=run_id)
    return run
