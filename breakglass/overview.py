"""The tenant at a glance: what the console's dashboard, accounts and findings pages read.

Plain read models built from the store in the caller's session (nothing reads Graph):

    overview(session, settings, now)        account health, reviews, watcher, findings, timeline
    account_health(session, settings)       the accounts part of it alone (cheaper)
    latest_findings(session, settings, …)   the latest run's findings, filtered, with the
                                            check's title and rationale from the catalog

An account's health is judged from the latest check run only: *healthy* when none of the
run's findings about it failed or errored, *at risk* otherwise (with the worst severity),
*not checked* before the first run.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import Session

from breakglass.config import Settings
from breakglass.store.tables import CheckRunRow, FindingRow, ReviewRow, SignInRow
from breakglass.watcher import StreamHealth, streams_health

__all__ = [
    "FAILING",
    "SEVERITIES",
    "TIMELINE_DAYS",
    "AccountHealth",
    "FindingView",
    "OverdueReview",
    "Overview",
    "RunInfo",
    "TimelineDay",
    "account_health",
    "latest_findings",
    "overview",
]

#: Finding statuses that make an account "at risk".
FAILING = ("fail", "error")
#: Most severe first (the order pages list them in).
SEVERITIES = ("critical", "high", "medium", "low", "info")
#: How far back the dashboard's timeline reaches.
TIMELINE_DAYS = 90
_OPEN_STATES = ("open", "submitted", "approved")


@dataclass(frozen=True)
class RunInfo:
    id: int
    started_at: datetime
    finished_at: datetime
    complete: bool
    summary: dict[str, int]


@dataclass(frozen=True)
class FindingView:
    """One finding of the latest run, with its check's metadata."""

    id: int
    check_id: str
    title: str
    status: str
    severity: str
    resource_type: str
    resource_id: str
    resource_name: str | None
    message: str
    remediation: str
    rationale: str
    references: tuple[str, ...]


@dataclass(frozen=True)
class AccountHealth:
    object_id: str
    upn: str
    display_name: str | None
    #: ``healthy`` | ``at risk`` | ``not checked``
    state: str
    #: Failing (fail or error) findings about the account in the latest run.
    failing: list[FindingView]
    #: The most severe failing finding's severity, if any.
    worst: str | None
    last_signin_at: datetime | None
    last_signin_success: bool | None
    open_reviews: int


@dataclass(frozen=True)
class OverdueReview:
    id: int
    upn: str
    state: str
    due_at: datetime
    hours_overdue: float


@dataclass(frozen=True)
class TimelineDay:
    day: date
    signins_ok: int = 0
    signins_failed: int = 0
    #: ``(review id, state)`` of the reviews opened that day.
    reviews: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Overview:
    now: datetime
    run: RunInfo | None
    accounts: list[AccountHealth]
    #: Failing findings of the latest run by severity (every severity present, most severe first).
    failing_by_severity: dict[str, int]
    reviews_by_state: dict[str, int]
    overdue: list[OverdueReview]
    streams: tuple[StreamHealth, ...]
    #: The most recent successful poll of any stream.
    last_poll_at: datetime | None
    #: One entry per day, oldest first, ``TIMELINE_DAYS`` days ending today (UTC).
    timeline: list[TimelineDay]

    @property
    def blind(self) -> bool:
        return any(s.blind for s in self.streams)


def _catalog() -> dict[str, Any]:
    from breakglass.checks import CATALOG

    return {check_id: check.meta for check_id, check in CATALOG.items()}


#: Core columns (a select of ORM attributes pays for the ORM's loading machinery).
_F = FindingRow.__table__.c
_RUNS = CheckRunRow.__table__.c

#: The columns a ``FindingView`` is made of (never ``related``: it can be large).
_FINDING_COLUMNS = (
    _F.id,
    _F.check_id,
    _F.status,
    _F.severity,
    _F.resource_type,
    _F.resource_id,
    _F.resource_name,
    _F.message,
    _F.remediation,
)

#: The findings' order in SQL: failing first, then most severe, check id, id (``_order``).
_FAILING_FIRST = (
    case((_F.status.in_(FAILING), 0), else_=1),
    case(*((_F.severity == name, i) for i, name in enumerate(SEVERITIES)), else_=len(SEVERITIES)),
    _F.check_id,
    _F.id,
)

#: The tenant's latest check run, without its ``facts`` (built once; ``tenant`` bound).
_LATEST_RUN = (
    select(_RUNS.id, _RUNS.started_at, _RUNS.finished_at, _RUNS.complete, _RUNS.summary)
    .where(_RUNS.tenant_id == bindparam("tenant"))
    .order_by(_RUNS.id.desc())
    .limit(1)
)


def _view(row: Any, metas: dict[str, Any]) -> FindingView:
    """A ``FindingView`` from a row of ``_FINDING_COLUMNS`` and the catalog's metadata."""
    finding_id, check_id, status, severity, rtype, rid, rname, message, remediation = row
    meta = metas.get(check_id)
    return FindingView(
        id=finding_id,
        check_id=check_id,
        title=meta.title if meta else check_id,
        status=status,
        severity=severity,
        resource_type=rtype,
        resource_id=rid,
        resource_name=rname,
        message=message,
        remediation=remediation or (meta.remediation if meta else ""),
        rationale=meta.rationale if meta else "",
        references=tuple(meta.references) if meta else (),
    )


def _latest_run(session: Session, tenant_id: str) -> RunInfo | None:
    """The tenant's latest check run (as ``store.runs.latest_run``), without its ``facts``."""
    row = session.execute(_LATEST_RUN, {"tenant": tenant_id}).first()
    if row is None:
        return None
    run_id, started_at, finished_at, complete, summary = row
    return RunInfo(run_id, started_at, finished_at, bool(complete), dict(summary or {}))


def _severity_rank(severity: str | None) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def _order(f: FindingView) -> tuple[bool, int, str, int]:
    """``_FAILING_FIRST`` in Python."""
    return (f.status not in FAILING, _severity_rank(f.severity), f.check_id, f.id)


def latest_findings(
    session: Session,
    settings: Settings,
    *,
    status: str | None = None,
    severity: str | None = None,
    check: str | None = None,
    account: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> tuple[RunInfo | None, list[FindingView]]:
    """The latest run and its findings (most severe and failing first), filtered.

    ``account`` is an object id or UPN of a declared account (case-insensitive UPN); it
    keeps the findings whose resource is that user. ``offset`` and ``limit`` cut a page of
    that order in the database (a run's findings never change, so an offset is stable).
    """
    run = _latest_run(session, settings.tenant.id)
    if run is None:
        return None, []
    where = [_F.run_id == run.id]
    if status:
        where.append(_F.status == status)
    if severity:
        where.append(_F.severity == severity)
    if check:
        where.append(_F.check_id == check.upper())
    if account:
        wanted = account.strip().lower()
        ids = [
            a.object_id for a in settings.accounts if wanted in (a.object_id.lower(), a.upn.lower())
        ] or [account.strip()]
        where += [_F.resource_type == "user", _F.resource_id.in_(ids)]
    metas = _catalog()
    if not offset and limit is None:
        query = select(*_FINDING_COLUMNS).where(*where).order_by(*_FAILING_FIRST)
        return run, [_view(row, metas) for row in session.execute(query)]
    # A page: the database orders only the ids (an index holds the sort columns), then
    # reads the page's rows; they are put back in that order here.
    page = select(_F.id).where(*where).order_by(*_FAILING_FIRST)
    if offset:
        page = page.offset(offset)
    if limit is not None:
        page = page.limit(limit)
    query = select(*_FINDING_COLUMNS).where(_F.id.in_(page.scalar_subquery()))
    return run, sorted((_view(row, metas) for row in session.execute(query)), key=_order)


def _account_health(
    session: Session, settings: Settings, run: RunInfo | None
) -> list[AccountHealth]:
    """Each declared account's health in ``run``, its last sign-in and open reviews."""
    tenant = settings.tenant.id
    declared = [a.object_id for a in settings.accounts]
    by_account: dict[str, list[FindingView]] = {}
    if run is not None and declared:
        metas = _catalog()
        failing = session.execute(
            select(*_FINDING_COLUMNS)
            .where(
                _F.run_id == run.id,
                _F.status.in_(FAILING),
                _F.resource_type == "user",
                _F.resource_id.in_(declared),
            )
            .order_by(*_FAILING_FIRST)
        )
        for row in failing:
            view = _view(row, metas)
            by_account.setdefault(view.resource_id, []).append(view)
    open_counts: dict[str, int] = {
        account_id: int(count)
        for account_id, count in session.execute(
            select(ReviewRow.account_id, func.count())
            .where(ReviewRow.tenant_id == tenant, ReviewRow.state.in_(_OPEN_STATES))
            .group_by(ReviewRow.account_id)
        )
    }
    last = _last_signins(session, tenant, declared)
    accounts = []
    for a in settings.accounts:
        mine = by_account.get(a.object_id, [])
        worst = min((f.severity for f in mine), key=_severity_rank, default=None)
        state = "not checked" if run is None else ("at risk" if mine else "healthy")
        seen = last.get(a.object_id)
        accounts.append(
            AccountHealth(
                object_id=a.object_id,
                upn=a.upn,
                display_name=a.display_name,
                state=state,
                failing=mine,
                worst=worst,
                last_signin_at=seen[0] if seen else None,
                last_signin_success=seen[1] if seen else None,
                open_reviews=open_counts.get(a.object_id, 0),
            )
        )
    return accounts


def account_health(session: Session, settings: Settings) -> list[AccountHealth]:
    """The declared accounts, in configuration order, as ``overview(...).accounts`` has
    them, without the rest of the dashboard (what ``/api/v1/accounts`` reads)."""
    return _account_health(session, settings, _latest_run(session, settings.tenant.id))


def _last_signins(
    session: Session, tenant_id: str, account_ids: list[str]
) -> dict[str, tuple[datetime, bool]]:
    if not account_ids:
        return {}
    newest = (
        select(SignInRow.account_id, func.max(SignInRow.created_at).label("at"))
        .where(SignInRow.tenant_id == tenant_id, SignInRow.account_id.in_(account_ids))
        .group_by(SignInRow.account_id)
        .subquery()
    )
    rows = session.execute(
        select(SignInRow.account_id, SignInRow.created_at, SignInRow.success)
        .join(
            newest,
            (SignInRow.account_id == newest.c.account_id) & (SignInRow.created_at == newest.c.at),
        )
        .where(SignInRow.tenant_id == tenant_id)
    )
    out: dict[str, tuple[datetime, bool]] = {}
    for account_id, at, success in rows:
        # Two sign-ins at the same instant: a success wins (it is the one that matters).
        if account_id not in out or success:
            out[account_id] = (at, bool(success))
    return out


def _timeline(session: Session, settings: Settings, now: datetime) -> list[TimelineDay]:
    first = (now - timedelta(days=TIMELINE_DAYS - 1)).date()
    since = datetime.combine(first, datetime.min.time(), tzinfo=now.tzinfo)
    days = {
        first + timedelta(days=i): TimelineDay(first + timedelta(days=i))
        for i in range(TIMELINE_DAYS)
    }
    ok: Counter[date] = Counter()
    failed: Counter[date] = Counter()
    signins = session.execute(
        select(SignInRow.created_at, SignInRow.success).where(
            SignInRow.tenant_id == settings.tenant.id, SignInRow.created_at >= since
        )
    )
    for at, success in signins:
        (ok if success else failed)[at.date()] += 1
    reviews = session.execute(
        select(ReviewRow.id, ReviewRow.opened_at, ReviewRow.state)
        .where(ReviewRow.tenant_id == settings.tenant.id, ReviewRow.opened_at >= since)
        .order_by(ReviewRow.id)
    )
    for review_id, opened_at, state in reviews:
        day = days.get(opened_at.date())
        if day is not None:
            day.reviews.append((review_id, state))
    return [TimelineDay(d, ok[d], failed[d], days[d].reviews) for d in sorted(days)]


def overview(session: Session, settings: Settings, now: datetime) -> Overview:
    """Everything the dashboard shows, read in one session at ``now``."""
    from breakglass.reviews import overdue_reviews, review_counts

    run = _latest_run(session, settings.tenant.id)
    accounts = _account_health(session, settings, run)
    severities: dict[str, int] = {}
    if run is not None:
        severities = {
            severity: int(count)
            for severity, count in session.execute(
                select(FindingRow.severity, func.count())
                .where(FindingRow.run_id == run.id, FindingRow.status.in_(FAILING))
                .group_by(FindingRow.severity)
            )
        }
    by_state, _ = review_counts(session, settings, now)
    overdue = [
        OverdueReview(
            row.id,
            row.account_upn,
            row.state,
            deadline.due_at,
            round((now - deadline.due_at).total_seconds() / 3600, 1),
        )
        for row, deadline in overdue_reviews(session, settings, now)
    ]
    streams = streams_health(session, settings, now)
    polled = [s.last_success_at for s in streams if s.last_success_at is not None]
    return Overview(
        now=now,
        run=run,
        accounts=accounts,
        failing_by_severity={s: severities.get(s, 0) for s in SEVERITIES},
        reviews_by_state=by_state,
        overdue=overdue,
        streams=streams,
        last_poll_at=max(polled, default=None),
        timeline=_timeline(session, settings, now),
    )
