"""Each notification channel's state: its deliveries by status, last send, last error.

Configured channels come first, then any channel that only old deliveries still name (it
was removed from the configuration). A channel is named with its kind, never described:
its URL or password stays in its settings.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from breakglass.config import Settings
from breakglass.store.tables import DeliveryRow

__all__ = ["DELIVERY_STATES", "ChannelState", "channel_states"]

DELIVERY_STATES = ("pending", "sending", "sent", "dead")


@dataclass(frozen=True)
class ChannelState:
    """One configured (or once configured) channel and its deliveries by status."""

    name: str
    kind: str | None
    configured: bool
    counts: dict[str, int]
    last_sent_at: datetime | None
    last_error: str | None


def channel_states(session: Session, settings: Settings) -> list[ChannelState]:
    """Every configured channel (then any channel only the records still name), with its
    delivery counts by status, last successful send and last error."""
    tenant = settings.tenant.id
    counts: dict[str, Counter[str]] = {}
    for channel, status, n in session.execute(
        select(DeliveryRow.channel, DeliveryRow.status, func.count())
        .where(DeliveryRow.tenant_id == tenant)
        .group_by(DeliveryRow.channel, DeliveryRow.status)
    ):
        counts.setdefault(channel, Counter())[status] = int(n)
    last_sent = dict(
        session.execute(
            select(DeliveryRow.channel, func.max(DeliveryRow.sent_at))
            .where(DeliveryRow.tenant_id == tenant, DeliveryRow.status == "sent")
            .group_by(DeliveryRow.channel)
        ).all()
    )
    last_error: dict[str, str | None] = {}
    for channel, error in session.execute(
        select(DeliveryRow.channel, DeliveryRow.last_error)
        .where(DeliveryRow.tenant_id == tenant, DeliveryRow.last_error.is_not(None))
        .order_by(DeliveryRow.id.desc())
    ):
        last_error.setdefault(channel, error)
    configured = {c.name: c.kind.value for c in settings.notifications.channels}
    names = list(configured) + sorted(set(counts) - set(configured))
    return [
        ChannelState(
            name=name,
            kind=configured.get(name),
            configured=name in configured,
            counts={s: counts.get(name, Counter()).get(s, 0) for s in DELIVERY_STATES},
            last_sent_at=last_sent.get(name),
            last_error=last_error.get(name),
        )
        for name in names
    ]
