"""Drill windows and what closed reviews tell the checks (BG-008 waivers, validation dates).

A drill window counts for a sign-in only when it was *pre-registered*: it covers the
sign-in's time and was scheduled no later than the sign-in. A window registered afterwards
cannot turn a real use into a drill (and so cannot waive the credential rotation).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from breakglass import audit
from breakglass.config import Settings
from breakglass.reviews._errors import TransitionRefusedError
from breakglass.store.tables import DrillWindowRow, ReviewRow

__all__ = [
    "drill_window_for",
    "drill_windows",
    "drills",
    "resolve_account",
    "rotation_waivers",
    "schedule_drill",
]


def resolve_account(settings: Settings, account: str) -> str | None:
    """A declared account's object id from its UPN or id; None for ``all``."""
    wanted = account.strip().lower()
    if wanted == "all":
        return None
    for declared in settings.accounts:
        if wanted in (declared.upn, declared.object_id.lower()):
            return declared.object_id
    raise TransitionRefusedError(f"{account!r} is not a declared emergency account (or 'all')")


def schedule_drill(
    session: Session,
    settings: Settings,
    *,
    account: str,
    starts: datetime,
    ends: datetime,
    actor: str,
    actor_id: str | None = None,
    reason: str,
    now: datetime | None = None,
) -> int:
    """Register a drill window; sign-ins in it open reviews classified as drills."""
    if starts.tzinfo is None or ends.tzinfo is None:
        raise TransitionRefusedError("drill start and end need a time zone (e.g. ...Z)")
    if ends <= starts:
        raise TransitionRefusedError("the drill must end after it starts")
    if not actor.strip() or not reason.strip():
        raise TransitionRefusedError("actor and reason are required")
    account_id = resolve_account(settings, account)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    row = DrillWindowRow(
        tenant_id=settings.tenant.id,
        account_id=account_id,
        starts_at=starts.astimezone(UTC),
        ends_at=ends.astimezone(UTC),
        created_by=actor.strip(),
        created_at=moment,
        reason=reason.strip(),
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        tenant_id=settings.tenant.id,
        actor=actor.strip(),
        action="drill.scheduled",
        data={
            **({"actor_id": actor_id} if actor_id else {}),
            "drill_window_id": row.id,
            "account_id": account_id,
            "starts_at": row.starts_at.isoformat(),
            "ends_at": row.ends_at.isoformat(),
            "reason": row.reason,
        },
        at=moment,
    )
    return row.id


def drill_windows(
    session: Session,
    settings: Settings,
    *,
    window_id: int | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Registered drill windows (or the one ``window_id``), newest first; ``before_id``
    continues a page."""
    query = select(DrillWindowRow).where(DrillWindowRow.tenant_id == settings.tenant.id)
    if window_id is not None:
        query = query.where(DrillWindowRow.id == window_id)
    if before_id is not None:
        query = query.where(DrillWindowRow.id < before_id)
    upns = {a.object_id: a.upn for a in settings.accounts}
    return [
        {
            "id": row.id,
            "account": None
            if row.account_id is None
            else {"id": row.account_id, "upn": upns.get(row.account_id)},
            "starts_at": row.starts_at.isoformat(),
            "ends_at": row.ends_at.isoformat(),
            "created_by": row.created_by,
            "created_at": row.created_at.isoformat(),
            "reason": row.reason,
        }
        for row in session.scalars(query.order_by(DrillWindowRow.id.desc()).limit(limit))
    ]


def drill_window_for(
    session: Session, tenant_id: str, account_id: str, at: datetime
) -> DrillWindowRow | None:
    """The first drill window pre-registered for ``account_id`` (or all) that covers ``at``."""
    return session.scalars(
        select(DrillWindowRow)
        .where(
            DrillWindowRow.tenant_id == tenant_id,
            or_(DrillWindowRow.account_id == account_id, DrillWindowRow.account_id.is_(None)),
            DrillWindowRow.starts_at <= at,
            DrillWindowRow.ends_at >= at,
            DrillWindowRow.created_at <= at,
        )
        .order_by(DrillWindowRow.id)
    ).first()


def _closed(session: Session, tenant_id: str) -> list[ReviewRow]:
    return list(
        session.scalars(
            select(ReviewRow).where(ReviewRow.tenant_id == tenant_id, ReviewRow.state == "closed")
        )
    )


def rotation_waivers(session: Session, tenant_id: str) -> dict[str, datetime]:
    """Account id → end of the latest session whose review closed on a waiver (BG-008)."""
    out: dict[str, datetime] = {}
    for review in _closed(session, tenant_id):
        if isinstance(review.rotation, dict) and review.rotation.get("waiver"):
            out[review.account_id] = max(
                out.get(review.account_id, review.window_end), review.window_end
            )
    return out


def drills(session: Session, tenant_id: str) -> dict[str, date]:
    """Account id → date of the latest closed drill review (validation evidence)."""
    out: dict[str, date] = {}
    for review in _closed(session, tenant_id):
        if review.classification == "drill":
            day = review.window_end.date()
            out[review.account_id] = max(out.get(review.account_id, day), day)
    return out
