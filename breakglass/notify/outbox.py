"""The transactional outbox (DESIGN §10): an event and its notifications commit together.

``enqueue`` is called inside the transaction that records the event (a new sign-in, an
opened review, an escalation); the dispatcher delivers later, per channel, with retries.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from breakglass.store.tables import DeliveryRow, OutboxRow

__all__ = ["enqueue"]


def enqueue(
    session: Session,
    *,
    tenant_id: str,
    event_type: str,
    severity: str,
    subject: str,
    payload: dict[str, Any],
    dedupe_key: str,
    channels: list[str],
    now: datetime | None = None,
) -> OutboxRow:
    """Record an event to notify ``channels`` about; idempotent on ``dedupe_key``."""
    existing = session.scalars(
        select(OutboxRow).where(
            OutboxRow.tenant_id == tenant_id, OutboxRow.dedupe_key == dedupe_key
        )
    ).first()
    if existing is not None:
        return existing
    moment = now or datetime.now(UTC)
    row = OutboxRow(
        tenant_id=tenant_id,
        created_at=moment,
        event_type=event_type,
        severity=severity,
        subject=subject,
        payload=payload,
        dedupe_key=dedupe_key,
    )
    session.add(row)
    session.flush()
    for channel in channels:
        session.add(
            DeliveryRow(
                tenant_id=tenant_id,
                outbox_id=row.id,
                channel=channel,
                status="pending",
                attempts=0,
                next_attempt_at=moment,
            )
        )
    session.flush()
    return row
