"""The transactional outbox (DESIGN §10): an event and its notifications commit together.

``publish`` is THE way to notify: called inside the transaction that records the event
(a new sign-in, an opened review, an escalation), it routes the event with
``channels_for`` and queues one delivery per channel; the dispatcher delivers later, per
channel, with retries.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from breakglass.config import NotificationSettings, Settings
from breakglass.store.tables import DeliveryRow, OutboxRow

__all__ = ["ESCALATION_EVENT", "channels_for", "enqueue", "publish"]

#: The event type of an overdue-review escalation (routed to the escalation contacts too).
ESCALATION_EVENT = "review_overdue"


def channels_for(notifications: NotificationSettings, event_type: str) -> list[str]:
    """Names of the channels that ``event_type`` goes to, in configuration order.

    A channel takes the event types in its ``events`` (``*``: all). An escalation
    (``review_overdue``) also goes to every ``escalation_channels`` entry — or, when that
    list is empty, to every channel — whatever their ``events`` say: it must be loud.
    """
    chosen = {c.name for c in notifications.channels if "*" in c.events or event_type in c.events}
    if event_type == ESCALATION_EVENT:
        chosen |= set(notifications.escalation_channels) or {c.name for c in notifications.channels}
    return [c.name for c in notifications.channels if c.name in chosen]


def publish(
    session: Session,
    settings: Settings,
    *,
    event_type: str,
    severity: str,
    subject: str,
    payload: dict[str, Any],
    dedupe_key: str,
    now: datetime,
    channels: list[str] | None = None,
) -> OutboxRow:
    """Queue one event for its channels in the caller's transaction; idempotent on ``dedupe_key``.

    ``channels`` defaults to ``channels_for(settings.notifications, event_type)``; pass a
    list only to address named channels (``breakglass notify test --channel``). Nothing is
    sent until the dispatcher runs; the entry commits (or rolls back) with the event.
    """
    return enqueue(
        session,
        tenant_id=settings.tenant.id,
        event_type=event_type,
        severity=severity,
        subject=subject,
        payload=payload,
        dedupe_key=dedupe_key,
        channels=channels_for(settings.notifications, event_type) if channels is None else channels,
        now=now,
    )


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
    now: datetime,
) -> OutboxRow:
    """The outbox row for ``dedupe_key``: the existing one, or a new one with its deliveries."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    existing = session.scalars(
        select(OutboxRow).where(
            OutboxRow.tenant_id == tenant_id, OutboxRow.dedupe_key == dedupe_key
        )
    ).first()
    if existing is not None:
        return existing
    row = OutboxRow(
        tenant_id=tenant_id,
        created_at=now,
        event_type=event_type,
        severity=severity,
        subject=subject,
        payload=payload,
        dedupe_key=dedupe_key,
    )
    session.add(row)
    session.flush()
    if not channels:
        # Recorded (the event is real) but nobody will hear of it: say so loudly.
        structlog.get_logger("breakglass.notify").error(
            "notify.no_channels",
            outbox_id=row.id,
            event_type=event_type,
            hint="no notification channel takes this event type; configure one",
        )
    for channel in channels:
        session.add(
            DeliveryRow(
                tenant_id=tenant_id,
                outbox_id=row.id,
                channel=channel,
                status="pending",
                attempts=0,
                next_attempt_at=now,
            )
        )
    session.flush()
    return row
