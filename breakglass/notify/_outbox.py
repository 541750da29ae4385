"""The transactional outbox (DESIGN §10): an event and its notifications commit together.

``publish`` is THE way to notify: called inside the transaction that records the event
(a new sign-in, an opened review, an escalation), it routes the event with
``channels_for`` and queues one delivery per channel; the dispatcher delivers later, per
channel, with retries.

An event that no configured channel takes is still stored, without deliveries: it is kept,
not lost. ``adopt_undelivered`` (run by every dispatch pass) routes such events again and
creates their deliveries once a channel takes them; the pass warns once about the ones
still waiting.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import exists, insert, select
from sqlalchemy.orm import Session

from breakglass.config import NotificationSettings, Settings
from breakglass.store.tables import DeliveryRow, OutboxRow

__all__ = [
    "ESCALATION_EVENT",
    "NAMED_ONLY_EVENTS",
    "adopt_undelivered",
    "channels_for",
    "enqueue",
    "publish",
]

#: The event type of an overdue-review escalation (routed to the escalation contacts too).
ESCALATION_EVENT = "review_overdue"
#: Event types a channel takes only when its ``events`` name them (``*`` is not enough):
#: the hourly signed audit checkpoint is for the auditors' channel, not the on-call one.
NAMED_ONLY_EVENTS = frozenset({"audit_checkpoint"})


def channels_for(notifications: NotificationSettings, event_type: str) -> list[str]:
    """Names of the channels that ``event_type`` goes to, in configuration order.

    A channel takes the event types in its ``events`` (``*``: all but
    ``NAMED_ONLY_EVENTS``, which a channel must name). An escalation
    (``review_overdue``) also goes to every ``escalation_channels`` entry — or, when that
    list is empty, to every channel — whatever their ``events`` say: it must be loud.
    """
    wildcard = event_type not in NAMED_ONLY_EVENTS
    chosen = {
        c.name
        for c in notifications.channels
        if (wildcard and "*" in c.events) or event_type in c.events
    }
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
    # No channel: the entry waits without deliveries; the dispatcher adopts it once a
    # channel takes it, and warns once per pass meanwhile (not once per event here).
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


def adopt_undelivered(
    session: Session, notifications: NotificationSettings, *, tenant_id: str, now: datetime
) -> tuple[int, Counter[str]]:
    """Queue deliveries for entries that have none, now that a channel takes them.

    Returns the number of deliveries created and, by event type, the entries still
    waiting for a channel. Joins the caller's transaction. Two dispatchers adopting the
    same entry at once create its deliveries once (``uq_delivery_channel``).
    """
    orphans = session.execute(
        select(OutboxRow.id, OutboxRow.event_type)
        .where(
            OutboxRow.tenant_id == tenant_id,
            ~exists().where(DeliveryRow.outbox_id == OutboxRow.id),
        )
        .order_by(OutboxRow.id)
    ).all()
    created = 0
    waiting: Counter[str] = Counter()
    for outbox_id, event_type in orphans:
        channels = channels_for(notifications, event_type)
        if not channels:
            waiting[event_type] += 1
            continue
        for channel in channels:
            created += _insert_delivery(session, tenant_id, outbox_id, channel, now)
    return created, waiting


def _insert_delivery(
    session: Session, tenant_id: str, outbox_id: int, channel: str, now: datetime
) -> int:
    values = {
        "tenant_id": tenant_id,
        "outbox_id": outbox_id,
        "channel": channel,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
    }
    dialect = session.get_bind().dialect.name
    stmt: Any
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        stmt = sqlite.insert(DeliveryRow).values(**values).on_conflict_do_nothing()
    elif dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        stmt = postgresql.insert(DeliveryRow).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported stores
        stmt = insert(DeliveryRow).values(**values)
    result = session.execute(stmt)
    return int(getattr(result, "rowcount", 0) or 0)
