"""Storing fetched sign-ins once each, alerting on every one and grouping them into reviews.

Runs inside the poll's single transaction: sign-ins, reviews, outbox entries and audit
entries commit together or not at all. A sign-in already stored (an overlapping window,
a concurrent watcher) is skipped: the ids are checked first and the insert itself is
``ON CONFLICT DO NOTHING`` under the (tenant_id, signin_id) unique constraint.

The directory audits of the accounts concerned were read before the transaction
(``AuditRead`` per account): each review gets its evidence as the sign-in joins or opens
it, so the sign-in alert says what the account changed so far.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from breakglass import audit
from breakglass._time import parse_graph_time
from breakglass.config import Settings
from breakglass.notify import publish, signin_payload
from breakglass.reviews import (
    WATCHER_ACTOR,
    AuditRead,
    attach_sign_in,
    changes_of,
    evidence_window_json,
    needs_evidence,
)
from breakglass.store.tables import SignInRow

__all__ = ["IngestResult", "new_sign_ins", "store_sign_ins", "usable_sign_ins"]

_IN_CHUNK = 500


@dataclass
class IngestResult:
    new_signin_ids: list[str] = field(default_factory=list)
    reviews_opened: list[int] = field(default_factory=list)
    reviews_joined: set[int] = field(default_factory=set)
    #: createdDateTime of each new sign-in (late-row accounting).
    created: dict[str, datetime] = field(default_factory=dict)
    #: Reviews whose evidence was gathered or refreshed while attaching.
    evidence_refreshed: set[int] = field(default_factory=set)


def _existing(session: Session, tenant_id: str, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(ids), _IN_CHUNK):
        found.update(
            session.scalars(
                select(SignInRow.signin_id).where(
                    SignInRow.tenant_id == tenant_id,
                    SignInRow.signin_id.in_(ids[i : i + _IN_CHUNK]),
                )
            )
        )
    return found


def _insert_once(session: Session, values: dict[str, Any]) -> int | None:
    """Insert a sign-in unless its id is already stored; the new row id, or None."""
    dialect = session.get_bind().dialect.name
    keys = ["tenant_id", "signin_id"]
    stmt: Any
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        stmt = sqlite.insert(SignInRow).values(**values).on_conflict_do_nothing(index_elements=keys)
    elif dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        stmt = (
            postgresql.insert(SignInRow)
            .values(**values)
            .on_conflict_do_nothing(index_elements=keys)
        )
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported stores
        stmt = insert(SignInRow).values(**values)
    return session.execute(stmt.returning(SignInRow.id)).scalar_one_or_none()


def _values(
    settings: Settings, raw: dict[str, Any], created: datetime, now: datetime
) -> dict[str, Any]:
    status = raw.get("status") if isinstance(raw.get("status"), dict) else {}
    code = status.get("errorCode") if isinstance(status, dict) else None
    error_code = code if isinstance(code, int) and not isinstance(code, bool) else None
    interactive = raw.get("isInteractive")
    return {
        "tenant_id": settings.tenant.id,
        "signin_id": str(raw["id"]),
        "account_id": str(raw.get("userId", "")).lower(),
        "user_principal_name": raw.get("userPrincipalName") or None,
        "created_at": created,
        # A sign-in without a readable status is treated as a failure: still an alert.
        "success": error_code == 0,
        "error_code": error_code,
        "interactive": interactive if isinstance(interactive, bool) else None,
        "ip_address": raw.get("ipAddress") or None,
        "app_display_name": raw.get("appDisplayName") or None,
        "raw": raw,
        "received_at": now,
    }


def usable_sign_ins(
    settings: Settings, rows: Iterable[dict[str, Any]]
) -> dict[str, tuple[datetime, dict[str, Any]]]:
    """Sign-in id → (created, raw) for rows of declared accounts with an id and a time."""
    upns = {a.object_id for a in settings.accounts}
    usable: dict[str, tuple[datetime, dict[str, Any]]] = {}
    for raw in rows:
        created = parse_graph_time(raw.get("createdDateTime"))
        ident = raw.get("id")
        user = str(raw.get("userId", "")).lower()
        if not ident or created is None or user not in upns:
            continue
        usable.setdefault(str(ident), (created, raw))
    return usable


def new_sign_ins(
    session: Session, settings: Settings, rows: Iterable[dict[str, Any]]
) -> dict[str, list[datetime]]:
    """Account id → creation times of the usable ``rows`` not stored yet (read only)."""
    usable = usable_sign_ins(settings, rows)
    known = _existing(session, settings.tenant.id, list(usable))
    out: dict[str, list[datetime]] = {}
    for ident, (created, raw) in usable.items():
        if ident not in known:
            out.setdefault(str(raw.get("userId", "")).lower(), []).append(created)
    return out


def store_sign_ins(
    session: Session,
    settings: Settings,
    rows: Iterable[dict[str, Any]],
    *,
    now: datetime,
    audits: Mapping[str, AuditRead] | None = None,
) -> IngestResult:
    """Store the new ``rows``, alert on each and attach each to its review (with evidence
    from ``audits``, the reads by account id)."""
    upns = {a.object_id: a.upn for a in settings.accounts}
    names = {a.object_id: a.display_name for a in settings.accounts}
    usable = usable_sign_ins(settings, rows)
    result = IngestResult()
    known = _existing(session, settings.tenant.id, list(usable))
    # Oldest first, so a session grows forwards and reviews open at its first sign-in.
    for ident, (created, raw) in sorted(usable.items(), key=lambda kv: (kv[1][0], kv[0])):
        if ident in known:
            continue
        row_id = _insert_once(session, _values(settings, raw, created, now))
        if row_id is None:
            continue
        sign_in = session.get(SignInRow, row_id)
        assert sign_in is not None
        upn = upns[sign_in.account_id]
        read = (audits or {}).get(sign_in.account_id)
        review, opened = attach_sign_in(session, settings, sign_in, upn=upn, now=now, audits=read)
        if read is not None and not needs_evidence(settings, review, read.end):
            result.evidence_refreshed.add(review.id)
        result.created[ident] = created
        if opened:
            result.reviews_opened.append(review.id)
        else:
            result.reviews_joined.add(review.id)
        result.new_signin_ids.append(ident)
        outcome = (
            "SIGNED IN" if sign_in.success else f"FAILED to sign in (error {sign_in.error_code})"
        )
        due_at, due_for = (
            (review.submit_due_at, "submission")
            if review.state == "open"
            else (review.approve_due_at, "approval")
        )
        # The alert's payload is the notification contract's (breakglass.notify), filled
        # from the raw Graph JSON so that every fact Graph gave reaches the alert.
        payload = signin_payload(
            sign_in.raw,
            signin_id=ident,
            created_at=created,
            success=sign_in.success,
            upn=upn,
            account_id=sign_in.account_id,
            display_name=names.get(sign_in.account_id),
            review_id=review.id,
            review_kind=review.kind,
            review_state=review.state,
            review_opened=opened,
            review_due_at=due_at,
            review_due_for=due_for,
            # What the account changed so far (None: its audits could not be read).
            changes=changes_of(review),
            evidence_window=evidence_window_json(review),
        )
        publish(
            session,
            settings,
            event_type="signin",
            severity="critical",
            subject=f"Emergency account {upn} {outcome} at {created:%Y-%m-%d %H:%M:%S} UTC",
            payload=dict(payload),
            dedupe_key=f"signin:{ident}",
            now=now,
        )
        audit.append(
            session,
            tenant_id=settings.tenant.id,
            actor=WATCHER_ACTOR,
            action="signin.recorded",
            data={
                "signin_id": ident,
                "account_id": sign_in.account_id,
                "created_at": created.isoformat(),
                "success": sign_in.success,
                "review_id": review.id,
            },
            at=now,
        )
    return result
