"""One check run end to end: snapshot → checks → stored run (DESIGN §4)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import structlog

from breakglass.checks import CheckContext, CheckRun, run_checks
from breakglass.config import Settings
from breakglass.snapshot import TenantSnapshot

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["check_facts", "run_check", "stored_context"]

log = structlog.get_logger(__name__)


def check_facts(ctx: CheckContext) -> dict[str, Any]:
    """What a later run compares against (drift). Plain JSON."""
    from breakglass.checks.conditional_access import affecting_policy_fingerprints

    return {
        "taken_at": ctx.snapshot.taken_at.isoformat(),
        "ca_affecting": affecting_policy_fingerprints(ctx),
    }


def stored_context(session: Session, settings: Settings, now: datetime) -> dict[str, Any]:
    """What the store adds to a check: the previous run, reviews, the watcher, the runbook."""
    from breakglass.reviews import review_context
    from breakglass.runbook._releases_store import runbook_extras
    from breakglass.store.runs import latest_run

    row = latest_run(session=session, tenant_id=settings.tenant.id, complete_only=True)
    parts = review_context(session, settings, now)
    extras: dict[str, Any] = {**parts["extras"], **runbook_extras(session, settings)}
    return {
        "previous_facts": dict(row.facts) if row else None,
        "rotation_waivers": parts["rotation_waivers"],
        "drills": parts["drills"],
        "extras": extras,
    }


def run_check(
    settings: Settings,
    *,
    snapshot_provider: Callable[[Settings], TenantSnapshot] | None = None,
    store: bool = True,
    now: datetime | None = None,
) -> CheckRun:
    """Take a snapshot, evaluate the catalog, and (by default) store the run."""
    from breakglass.graph import take_snapshot

    started = datetime.now(UTC)
    moment = now or datetime.now(UTC)
    snapshot = (snapshot_provider or take_snapshot)(settings)
    engine = None
    stored: dict[str, Any] = {}
    if store:
        from breakglass.store.engine import assert_migrated, make_engine, make_sessionmaker

        engine = make_engine(settings.store_url)
        assert_migrated(engine)
        with make_sessionmaker(engine)() as session:
            stored = stored_context(session, settings, moment)
    ctx = CheckContext(
        settings=settings,
        snapshot=snapshot,
        now=moment,
        previous_facts=stored.get("previous_facts"),
        rotation_waivers=stored.get("rotation_waivers", {}),
        drills=stored.get("drills", {}),
        extras=stored.get("extras", {}),
    )
    findings = run_checks(ctx)
    run = CheckRun(
        tenant_id=settings.tenant.id,
        started_at=started,
        finished_at=datetime.now(UTC),
        findings=tuple(findings),
    )
    if engine is not None:
        from breakglass.store.engine import make_sessionmaker
        from breakglass.store.runs import save_run

        with make_sessionmaker(engine).begin() as session:
            run_id = save_run(session=session, run=run, facts=check_facts(ctx))
        log.info("check.stored", run_id=run_id, **run.summary)
        engine.dispose()
    return run
