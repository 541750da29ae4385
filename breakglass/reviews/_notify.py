"""Routing review and watcher events to notification channels through the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from breakglass.config import Settings
from breakglass.notify.outbox import enqueue

__all__ = ["channels_for", "escalation_channels", "notify"]


def channels_for(settings: Settings, event_type: str) -> list[str]:
    """Names of the channels whose ``events`` include ``event_type`` (or ``*``)."""
    return [
        c.name for c in settings.notifications.channels if "*" in c.events or event_type in c.events
    ]


def escalation_channels(settings: Settings) -> list[str]:
    """The escalation contacts: ``escalation_channels``, or every channel when unset."""
    names = settings.notifications.escalation_channels
    return list(names) if names else [c.name for c in settings.notifications.channels]


def notify(
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
) -> None:
    """Enqueue one event in the caller's transaction (idempotent on ``dedupe_key``)."""
    enqueue(
        session,
        tenant_id=settings.tenant.id,
        event_type=event_type,
        severity=severity,
        subject=subject,
        payload=payload,
        dedupe_key=dedupe_key,
        channels=channels if channels is not None else channels_for(settings, event_type),
        now=now,
    )
