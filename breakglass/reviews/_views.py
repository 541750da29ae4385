"""What reviews look like outside the store (DESIGN §15): plain JSON-ready dicts.

A table row is never returned as is; ``review_summary`` is exactly the ``reviews list``
shape, ``review_detail`` a superset for ``reviews show``, the API and the signed report:
the operator's account (justification, actions, root cause, follow-ups), the real session
span (first to last sign-in), the exact evidence window and a plain summary of each audit.
The API pages through ``list_reviews`` and ``list_signins`` (every stored sign-in of the
emergency accounts, in the same ``signin_view`` shape a review shows them in).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    func,
    not_,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from breakglass._time import utcnow
from breakglass.config import Settings
from breakglass.reviews._evidence import audit_summary, evidence_window_json
from breakglass.reviews._store import load_review
from breakglass.store.tables import ReviewEventRow, ReviewRow, SignInRow

__all__ = [
    "STATES",
    "list_reviews",
    "list_signins",
    "review_counts",
    "review_detail",
    "review_summary",
    "show_review",
    "signin_counts",
    "signin_view",
]

#: Every review state, in the order of the workflow.
STATES = ("open", "submitted", "approved", "closed")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _due(review: ReviewRow) -> datetime | None:
    if review.state == "open":
        return review.submit_due_at
    if review.state == "submitted":
        return review.approve_due_at
    return None


def review_summary(review: ReviewRow, signin_ids: list[str]) -> dict[str, Any]:
    return _summary(
        review.id,
        review.kind,
        review.state,
        review.account_id,
        review.account_upn,
        review.opened_at,
        _due(review),
        signin_ids,
        len(review.evidence or []),
        review.classification,
    )


def _summary(
    review_id: int,
    kind: str,
    state: str,
    account_id: str,
    account_upn: str,
    opened_at: datetime,
    due_at: datetime | None,
    signin_ids: list[str],
    evidence_count: int,
    classification: str | None,
) -> dict[str, Any]:
    return {
        "id": review_id,
        "kind": kind,
        "state": state,
        "account": {"id": account_id, "upn": account_upn},
        "opened_at": _iso(opened_at),
        "due_at": _iso(due_at),
        "signin_ids": signin_ids,
        "evidence_count": evidence_count,
        "classification": classification,
    }


def _location(raw: dict[str, Any]) -> str | None:
    place = raw.get("location")
    if not isinstance(place, dict):
        return None
    parts = [place.get("city"), place.get("state"), place.get("countryOrRegion")]
    return ", ".join(str(p) for p in parts if p) or None


def _failure_reason(raw: dict[str, Any]) -> str | None:
    status = raw.get("status")
    reason = status.get("failureReason") if isinstance(status, dict) else None
    return str(reason) if reason else None


def _session_span(signins: list[SignInRow]) -> dict[str, Any] | None:
    if not signins:
        return None
    first, last = signins[0].created_at, signins[-1].created_at
    return {
        "first_signin": _iso(first),
        "last_signin": _iso(last),
        "minutes": round((last - first).total_seconds() / 60, 1),
        "signin_count": len(signins),
    }


def _signins(session: Session, tenant_id: str, review_ids: list[int]) -> dict[int, list[SignInRow]]:
    out: dict[int, list[SignInRow]] = defaultdict(list)
    if not review_ids:
        return out
    rows = session.scalars(
        select(SignInRow)
        .where(SignInRow.tenant_id == tenant_id, SignInRow.review_id.in_(review_ids))
        .order_by(SignInRow.created_at, SignInRow.signin_id)
    )
    for row in rows:
        assert row.review_id is not None
        out[row.review_id].append(row)
    return out


#: Core columns for the hot list queries: a select of ORM attributes goes through the
#: ORM's loading machinery even for plain tuples, which costs more than the query here.
_R = ReviewRow.__table__.c
_S = SignInRow.__table__.c


#: Built once, with its parameters bound at execution (no per-item coercion of the ids).
_SIGNIN_IDS = (
    select(_S.review_id, _S.signin_id)
    .where(
        _S.tenant_id == bindparam("tenant"),
        _S.review_id.in_(bindparam("reviews", expanding=True)),
    )
    .order_by(_S.created_at, _S.signin_id)
)


def _signin_ids(session: Session, tenant_id: str, review_ids: list[int]) -> dict[int, list[str]]:
    """The Graph ids of each review's sign-ins, in time order: two columns, one query (the
    rows' raw Graph JSON stays in the database)."""
    out: dict[int, list[str]] = defaultdict(list)
    if not review_ids:
        return out
    rows = session.execute(_SIGNIN_IDS, {"tenant": tenant_id, "reviews": review_ids}).all()
    for review_id, signin_id in rows:
        out[review_id].append(signin_id)
    return out


@cache
def _summary_select(dialect: str) -> Select[Any]:
    """The columns of ``review_summary``, computed where the database can: the deadline
    that applies (``_due``) and ``len(evidence or [])``, so a page of the queue never reads
    (and decodes) the stored directory audits. Built once per dialect."""
    json_type = func.json_typeof if dialect == "postgresql" else func.json_type
    evidence_count = case(
        (json_type(_R.evidence) == "array", func.json_array_length(_R.evidence)), else_=0
    )
    due = case(
        (_R.state == "open", _R.submit_due_at),
        (_R.state == "submitted", _R.approve_due_at),
        else_=None,
    )
    return select(
        _R.id,
        _R.kind,
        _R.state,
        _R.account_id,
        _R.account_upn,
        _R.opened_at,
        type_coerce(due, _R.submit_due_at.type),  # a timezone-aware UTC datetime
        evidence_count,
        _R.classification,
    )


def _account_ids(settings: Settings, account: str) -> list[str]:
    """The object id of the declared account named by id or UPN (case-insensitive); an
    undeclared id stands for itself."""
    wanted = account.strip().lower()
    declared = [a.object_id for a in settings.accounts if wanted in (a.object_id, a.upn)]
    return declared or [wanted]


def _overdue(now: datetime) -> ColumnElement[bool]:
    """SQL for "past its deadline" (``_deadlines.deadline_of``: submission, then approval)."""
    return or_(
        and_(_R.state == "open", _R.submit_due_at < now),
        and_(_R.state == "submitted", _R.approve_due_at.is_not(None), _R.approve_due_at < now),
    )


def list_reviews(
    session: Session,
    settings: Settings,
    *,
    state: str | None = None,
    account: str | None = None,
    overdue: bool | None = None,
    now: datetime | None = None,
    newest_first: bool = False,
    after_id: int | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The tenant's reviews (those in ``state``), oldest first, as ``reviews list``.

    ``account``: the account's object id or UPN. ``overdue``: only those past (or, False,
    not past) their submit or approve deadline at ``now``. For pages: ``newest_first``
    reverses the order, ``after_id`` continues after that id in it, ``limit`` cuts.
    """
    query = _summary_select(session.get_bind().dialect.name).where(
        _R.tenant_id == settings.tenant.id
    )
    if state:
        query = query.where(_R.state == state)
    if account:
        query = query.where(_R.account_id.in_(_account_ids(settings, account)))
    if overdue is not None:
        late = _overdue((now or utcnow()).astimezone(UTC))
        query = query.where(late if overdue else not_(late))
    if after_id is not None:
        query = query.where(_R.id < after_id if newest_first else _R.id > after_id)
    query = query.order_by(_R.id.desc() if newest_first else _R.id)
    if limit is not None:
        query = query.limit(limit)
    rows = session.execute(query).all()
    signins = _signin_ids(session, settings.tenant.id, [row[0] for row in rows])
    return [
        _summary(rid, kind, st, account_id, upn, opened, due, signins[rid], count or 0, cls)
        for rid, kind, st, account_id, upn, opened, due, count, cls in rows
    ]


def review_counts(
    session: Session, settings: Settings, now: datetime
) -> tuple[dict[str, int], int]:
    """Reviews by state (every state named), and how many are past their deadline at ``now``."""
    tenant = ReviewRow.tenant_id == settings.tenant.id
    by_state = dict.fromkeys(STATES, 0)
    for state, count in session.execute(
        select(ReviewRow.state, func.count()).where(tenant).group_by(ReviewRow.state)
    ):
        by_state[state] = int(count)
    late = session.scalar(select(func.count()).where(tenant, _overdue(now.astimezone(UTC))))
    return by_state, int(late or 0)


def signin_view(row: SignInRow) -> dict[str, Any]:
    """One stored sign-in as people read it: when, result, where from, which app."""
    return {
        "id": row.signin_id,
        "created_at": _iso(row.created_at),
        "success": row.success,
        "error_code": row.error_code,
        "interactive": row.interactive,
        "failure_reason": None if row.success else _failure_reason(row.raw),
        "ip_address": row.ip_address,
        "location": _location(row.raw),
        "app": row.app_display_name,
        "client_app": row.raw.get("clientAppUsed") or None,
    }


def list_signins(
    session: Session,
    settings: Settings,
    *,
    account: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    success: bool | None = None,
    before: tuple[datetime, int] | None = None,
    limit: int = 50,
) -> list[tuple[int, dict[str, Any]]]:
    """Stored sign-ins of the emergency accounts, newest first, each as (row id, view).

    ``account``: object id or UPN; ``since`` inclusive, ``until`` exclusive; ``success``:
    successful or failed only. ``before``: the (created_at, row id) of the last one seen,
    for the next page (a stable order even when two share a time).
    """
    query = select(SignInRow).where(SignInRow.tenant_id == settings.tenant.id)
    if account:
        query = query.where(SignInRow.account_id.in_(_account_ids(settings, account)))
    if since is not None:
        query = query.where(SignInRow.created_at >= since)
    if until is not None:
        query = query.where(SignInRow.created_at < until)
    if success is not None:
        query = query.where(SignInRow.success.is_(success))
    if before is not None:
        at, row_id = before
        query = query.where(
            or_(SignInRow.created_at < at, and_(SignInRow.created_at == at, SignInRow.id < row_id))
        )
    rows = session.scalars(
        query.order_by(SignInRow.created_at.desc(), SignInRow.id.desc()).limit(limit)
    )
    return [
        (row.id, {**signin_view(row), "account": _account(row), "review_id": row.review_id})
        for row in rows
    ]


def _account(row: SignInRow) -> dict[str, Any]:
    return {"id": row.account_id, "upn": row.user_principal_name}


def signin_counts(session: Session, settings: Settings) -> dict[bool, int]:
    """Stored sign-ins by result (True: successful)."""
    rows = session.execute(
        select(SignInRow.success, func.count())
        .where(SignInRow.tenant_id == settings.tenant.id)
        .group_by(SignInRow.success)
    )
    counts = {True: 0, False: 0}
    for success, count in rows:
        counts[bool(success)] = int(count)
    return counts


def review_detail(session: Session, settings: Settings, review: ReviewRow) -> dict[str, Any]:
    signins = _signins(session, settings.tenant.id, [review.id])[review.id]
    events = session.scalars(
        select(ReviewEventRow)
        .where(ReviewEventRow.review_id == review.id)
        .order_by(ReviewEventRow.id)
    )
    return {
        **review_summary(review, [s.signin_id for s in signins]),
        "window": {"start": _iso(review.window_start), "end": _iso(review.window_end)},
        "submit_due_at": _iso(review.submit_due_at),
        "approve_due_at": _iso(review.approve_due_at),
        "session": _session_span(signins),
        "operator": review.operator,
        "justification": review.justification,
        "actions": review.actions_taken,
        "root_cause": review.root_cause,
        "follow_ups": list(review.follow_ups or []),
        "ticket": review.ticket,
        "submitted_by": review.submitted_by,
        "submitted_by_id": review.submitted_by_id,
        "submitted_at": _iso(review.submitted_at),
        "approved_by": review.approved_by,
        "approved_by_id": review.approved_by_id,
        "approved_at": _iso(review.approved_at),
        "closed_by": review.closed_by,
        "closed_by_id": review.closed_by_id,
        "closed_at": _iso(review.closed_at),
        "drill_window_id": review.drill_window_id,
        "rotation": review.rotation,
        "evidence_sha256": review.evidence_sha256,
        "evidence_window": evidence_window_json(review),
        "evidence_frozen_at": _iso(review.evidence_frozen_at),
        "evidence": review.evidence or [],
        "evidence_summary": [
            audit_summary(a) for a in review.evidence or [] if isinstance(a, dict)
        ],
        "signins": [signin_view(s) for s in signins],
        "events": [
            {
                "at": _iso(e.at),
                "actor": e.actor,
                "actor_id": e.actor_id,
                "action": e.action,
                "from": e.from_state,
                "to": e.to_state,
                "reason": e.reason,
            }
            for e in events
        ],
    }


def show_review(session: Session, settings: Settings, review_id: int) -> dict[str, Any]:
    """One review with its sign-ins, evidence and history, as ``reviews show``."""
    return review_detail(session, settings, load_review(session, settings, review_id))
