"""Browser sessions: a random id in the cookie, its SHA-256 and the principal in the store.

Server-side sessions so that sign-out and expiry end a session everywhere at once (a
stolen cookie stops working at sign-out), and every replica sees the same sessions.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from breakglass.access._principal import Principal
from breakglass.config import AccessRole, Settings
from breakglass.store.tables import WebSessionRow

__all__ = ["end_session", "open_session", "session_principal"]


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def open_session(
    session: Session, settings: Settings, principal: Principal, *, now: datetime
) -> str:
    """Record a signed-in person (caller commits); the new session id for the cookie."""
    session_id = secrets.token_urlsafe(32)
    session.add(
        WebSessionRow(
            tenant_id=settings.tenant.id,
            session_sha256=_digest(session_id),
            principal_id=principal.id,
            name=principal.name,
            username=principal.username,
            roles=sorted(r.value for r in principal.roles),
            created_at=now,
            expires_at=now + timedelta(hours=settings.auth.session_hours),
        )
    )
    session.flush()
    return session_id


def session_principal(
    session: Session, settings: Settings, session_id: str, *, now: datetime
) -> Principal | None:
    """The principal of a live session, or None (unknown, ended or expired)."""
    if not session_id or len(session_id) > 200:
        return None
    row = session.scalar(
        select(WebSessionRow).where(
            WebSessionRow.tenant_id == settings.tenant.id,
            WebSessionRow.session_sha256 == _digest(session_id),
        )
    )
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    return Principal(
        id=row.principal_id,
        name=row.name,
        kind="user",
        roles=frozenset(AccessRole(r) for r in row.roles if r in AccessRole.__members__.values()),
        username=row.username,
    )


def end_session(session: Session, settings: Settings, session_id: str, *, now: datetime) -> bool:
    """Sign out (caller commits); False when there was no live session."""
    row = session.scalar(
        select(WebSessionRow).where(
            WebSessionRow.tenant_id == settings.tenant.id,
            WebSessionRow.session_sha256 == _digest(session_id),
        )
    )
    if row is None or row.ended_at is not None:
        return False
    row.ended_at = now
    return True
