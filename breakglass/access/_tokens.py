"""Service API tokens: created once, stored as a SHA-256, revocable, expiring.

A token is ``bgt_`` + 43 URL-safe random characters (256 bits). Only its SHA-256 and its
first 12 characters (to recognise it in ``tokens list``) are stored. Lookup is by hash, so
comparing is a unique-index lookup, not a string compare an attacker could time.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from breakglass import audit
from breakglass.access._principal import Principal
from breakglass.config import AccessRole, Settings
from breakglass.store.tables import ApiTokenRow

__all__ = [
    "TOKEN_PREFIX",
    "TokenInfo",
    "authenticate_token",
    "create_token",
    "list_tokens",
    "revoke_token",
]

TOKEN_PREFIX = "bgt_"  # noqa: S105 - a prefix that marks our tokens, not a secret
_SHOWN = 12
#: ``last_used_at`` is written at most this often per token (one write per request is waste).
_LAST_USE_RESOLUTION = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TokenInfo:
    """What ``tokens list`` and the API show of a token (never the token)."""

    id: int
    name: str
    role: AccessRole
    prefix: str
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    @classmethod
    def of(cls, row: ApiTokenRow) -> TokenInfo:
        return cls(
            id=row.id,
            name=row.name,
            role=AccessRole(row.role),
            prefix=row.prefix,
            created_at=row.created_at,
            created_by=row.created_by,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            last_used_at=row.last_used_at,
        )


def create_token(
    session: Session,
    settings: Settings,
    *,
    name: str,
    role: AccessRole,
    created_by: str,
    now: datetime,
    expires_days: int | None = None,
) -> tuple[TokenInfo, str]:
    """A new token in the caller's transaction: its record and the token (shown once)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValueError("a token needs a name of 1 to 100 characters")
    if expires_days is not None and not 1 <= expires_days <= 3650:
        raise ValueError("expires-days must be between 1 and 3650")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiTokenRow(
        tenant_id=settings.tenant.id,
        name=name,
        role=role.value,
        token_sha256=_digest(token),
        prefix=token[:_SHOWN],
        created_at=now,
        created_by=created_by,
        expires_at=now + timedelta(days=expires_days) if expires_days else None,
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        tenant_id=settings.tenant.id,
        actor=created_by,
        action="token.create",
        data={
            "token_id": row.id,
            "name": name,
            "role": role.value,
            "prefix": row.prefix,
            "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        },
        at=now,
    )
    return TokenInfo.of(row), token


def list_tokens(session: Session, settings: Settings) -> list[TokenInfo]:
    rows = session.scalars(
        select(ApiTokenRow)
        .where(ApiTokenRow.tenant_id == settings.tenant.id)
        .order_by(ApiTokenRow.id)
    )
    return [TokenInfo.of(r) for r in rows]


def revoke_token(
    session: Session, settings: Settings, token_id: int, *, revoked_by: str, now: datetime
) -> TokenInfo:
    """Revoke in the caller's transaction; revoking twice is refused (LookupError)."""
    row = session.scalar(
        select(ApiTokenRow).where(
            ApiTokenRow.tenant_id == settings.tenant.id, ApiTokenRow.id == token_id
        )
    )
    if row is None:
        raise LookupError(f"no API token {token_id}")
    if row.revoked_at is not None:
        raise LookupError(f"API token {token_id} ({row.name}) is already revoked")
    row.revoked_at = now
    row.revoked_by = revoked_by
    audit.append(
        session,
        tenant_id=settings.tenant.id,
        actor=revoked_by,
        action="token.revoke",
        data={"token_id": row.id, "name": row.name, "prefix": row.prefix},
        at=now,
    )
    session.flush()
    return TokenInfo.of(row)


def authenticate_token(
    session: Session, settings: Settings, token: str, *, now: datetime
) -> Principal | None:
    """The principal of an active token, or None; records the last use (caller commits)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.scalar(
        select(ApiTokenRow).where(
            ApiTokenRow.tenant_id == settings.tenant.id,
            ApiTokenRow.token_sha256 == _digest(token),
        )
    )
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    if row.last_used_at is None or now - row.last_used_at >= _LAST_USE_RESOLUTION:
        row.last_used_at = now
    return Principal(
        id=f"token:{row.id}",
        name=f"API token {row.name!r} (#{row.id})",
        kind="token",
        roles=frozenset({AccessRole(row.role)}),
    )
