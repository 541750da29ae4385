"""What the outbox holds and did: entries with their per-channel delivery state, the
backlog, putting a dead delivery back in the queue, and the test notification.

Everything joins the caller's session (the caller commits); nothing here sends: the
dispatcher delivers what these functions queue. Channels are named, never described: a
channel's URL or password never leaves its settings, only its name and kind.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from breakglass import audit
from breakglass.config import Settings
from breakglass.notify._outbox import publish
from breakglass.store.tables import DeliveryRow, OutboxRow

__all__ = [
    "DeliveryState",
    "OutboxEntry",
    "backlog",
    "notifications",
    "publish_test",
    "requeue_dead",
]


@dataclass(frozen=True)
class DeliveryState:
    """One entry's delivery to one channel."""

    id: int
    channel: str
    #: The channel's kind (smtp, teams, slack, webhook); None when it is no longer configured.
    kind: str | None
    #: pending | sending | sent | dead
    status: str
    #: Failed attempts so far.
    attempts: int
    #: When a pending delivery is tried next (None once sent or dead).
    next_attempt_at: datetime | None
    sent_at: datetime | None
    #: Why the last attempt failed (scrubbed of URLs and secrets by the dispatcher).
    last_error: str | None


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    created_at: datetime
    event_type: str
    severity: str
    subject: str
    deliveries: tuple[DeliveryState, ...]

    @property
    def state(self) -> str:
        """``waiting`` (no channel takes it yet), else the least finished delivery state."""
        statuses = {d.status for d in self.deliveries}
        if not statuses:
            return "waiting"
        return next((s for s in ("dead", "sending", "pending") if s in statuses), "sent")


def notifications(
    session: Session,
    settings: Settings,
    *,
    outbox_id: int | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[OutboxEntry]:
    """Outbox entries (or the one ``outbox_id``) newest first, each with its deliveries;
    ``before_id`` continues a page."""
    query = select(OutboxRow).where(OutboxRow.tenant_id == settings.tenant.id)
    if outbox_id is not None:
        query = query.where(OutboxRow.id == outbox_id)
    if before_id is not None:
        query = query.where(OutboxRow.id < before_id)
    rows = list(session.scalars(query.order_by(OutboxRow.id.desc()).limit(limit)))
    kinds = {c.name: c.kind.value for c in settings.notifications.channels}
    found: dict[int, list[DeliveryState]] = defaultdict(list)
    if rows:
        for d in session.scalars(
            select(DeliveryRow)
            .where(DeliveryRow.outbox_id.in_([r.id for r in rows]))
            .order_by(DeliveryRow.id)
        ):
            found[d.outbox_id].append(
                DeliveryState(
                    id=d.id,
                    channel=d.channel,
                    kind=kinds.get(d.channel),
                    status=d.status,
                    attempts=d.attempts,
                    next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
                    sent_at=d.sent_at,
                    last_error=d.last_error,
                )
            )
    return [
        OutboxEntry(
            id=r.id,
            created_at=r.created_at,
            event_type=r.event_type,
            severity=r.severity,
            subject=r.subject,
            deliveries=tuple(found[r.id]),
        )
        for r in rows
    ]


def backlog(session: Session, settings: Settings) -> dict[str, int]:
    """Deliveries by status (``pending``, ``sending``, ``sent``, ``dead``; each named)."""
    counts = dict.fromkeys(("pending", "sending", "sent", "dead"), 0)
    for status, count in session.execute(
        select(DeliveryRow.status, func.count())
        .where(DeliveryRow.tenant_id == settings.tenant.id)
        .group_by(DeliveryRow.status)
    ):
        counts[status] = int(count)
    return counts


def requeue_dead(
    session: Session,
    settings: Settings,
    outbox_id: int,
    *,
    actor: str,
    now: datetime,
    channel: str | None = None,
) -> list[str]:
    """Put the entry's dead deliveries (or the one to ``channel``) back in the queue, due
    now with a fresh attempt count; the channels re-queued (none: nothing was dead).

    Raises ``LookupError`` for an unknown entry. Audited as ``notify.requeue``.
    """
    entry = session.scalars(
        select(OutboxRow).where(
            OutboxRow.tenant_id == settings.tenant.id, OutboxRow.id == outbox_id
        )
    ).first()
    if entry is None:
        raise LookupError(f"no notification {outbox_id}")
    query = select(DeliveryRow).where(
        DeliveryRow.outbox_id == outbox_id, DeliveryRow.status == "dead"
    )
    if channel is not None:
        query = query.where(DeliveryRow.channel == channel)
    dead = list(session.scalars(query.order_by(DeliveryRow.id)))
    for delivery in dead:
        delivery.status = "pending"
        delivery.attempts = 0
        delivery.next_attempt_at = now
        delivery.claimed_until = None
    if dead:
        audit.append(
            session,
            tenant_id=settings.tenant.id,
            actor=actor,
            action="notify.requeue",
            data={"outbox_id": outbox_id, "channels": [d.channel for d in dead]},
            at=now,
        )
        session.flush()
    return [d.channel for d in dead]


def publish_test(
    session: Session,
    settings: Settings,
    *,
    requested_by: str,
    now: datetime,
    channels: list[str] | None = None,
) -> int:
    """Queue a test notification to ``channels`` (default: every channel); its outbox id.

    Raises ``LookupError`` naming the configured channels when one is unknown or none is
    configured.
    """
    names = [c.name for c in settings.notifications.channels]
    if not names:
        raise LookupError("no notification channels are configured")
    unknown = [c for c in channels or () if c not in names]
    if unknown:
        raise LookupError(f"no channel named {unknown[0]!r}; configured: {', '.join(names)}")
    return publish(
        session,
        settings,
        event_type="test",
        severity="info",
        subject=f"breakglass test notification ({now:%Y-%m-%d %H:%M} UTC)",
        payload={"requested_by": requested_by, "requested_at": now.isoformat()},
        dedupe_key=f"test:{uuid.uuid4()}",
        channels=list(channels) if channels else names,
        now=now,
    ).id
