"""Hash-chained, append-only audit log (DESIGN §11).

``entry_hash = SHA-256(prev_hash ‖ canonical JSON)``, one writer at a time: PostgreSQL takes
a transaction-scoped advisory lock; SQLite takes its write lock before the tail is read.
The sequence number is the primary key, so two writers can never fork the chain even if
the lock fails: the second one gets an integrity error instead. Migration 0003 adds
triggers that refuse UPDATE and DELETE on the table.

Every stored hash was computed over ``breakglass._canonical.canonical_json`` (the exact
bytes); changing that function would break every existing chain.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from breakglass._canonical import canonical_json
from breakglass.store.tables import AuditEntryRow

__all__ = ["GENESIS", "append", "chain_hash"]

#: prev_hash of the first entry.
GENESIS = "0" * 64
_PG_LOCK_KEY = 0x6267_6175_6469_74  # "bgaudit"


def chain_hash(prev_hash: str, payload: str) -> str:
    """SHA-256 over the previous entry's hash (32 bytes) and the payload's UTF-8 bytes.

    ``payload`` is the stored text: ``canonical_json(entry).decode("utf-8")``.
    """
    return hashlib.sha256(bytes.fromhex(prev_hash) + payload.encode("utf-8")).hexdigest()


def _take_writer_lock(session: Session) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # Held until the transaction ends; needs READ COMMITTED (the default) so the
        # tail read below sees the previous writer's commit.
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    elif dialect == "sqlite":
        # A write statement makes SQLite take its RESERVED lock now, before we read the
        # tail. It matches no row, so the append-only trigger does not fire.
        session.execute(text("UPDATE audit_log SET seq = seq WHERE 0"))


def append(
    session: Session,
    *,
    tenant_id: str,
    actor: str,
    action: str,
    data: dict[str, Any],
    at: datetime | None = None,
) -> AuditEntryRow:
    """Add one entry in the caller's transaction (it commits with the change it records)."""
    if at is not None and at.tzinfo is None:
        raise ValueError("audit entries need an aware datetime (UTC), not a naive one")
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    _take_writer_lock(session)
    tail = session.execute(
        select(AuditEntryRow.seq, AuditEntryRow.entry_hash)
        .order_by(AuditEntryRow.seq.desc())
        .limit(1)
    ).first()
    seq = tail.seq + 1 if tail else 1
    prev = tail.entry_hash if tail else GENESIS
    payload = canonical_json(
        {
            "seq": seq,
            "tenant_id": tenant_id,
            "at": moment.isoformat(),
            "actor": actor,
            "action": action,
            "data": data,
        }
    ).decode("utf-8")
    row = AuditEntryRow(
        seq=seq,
        tenant_id=tenant_id,
        at=moment,
        actor=actor,
        action=action,
        payload=payload,
        prev_hash=prev,
        entry_hash=chain_hash(prev, payload),
    )
    session.add(row)
    session.flush()
    return row
