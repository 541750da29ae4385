"""``/api/v1/notifications``: the outbox, re-queueing a dead delivery, a test message.

Re-queueing and the test are the admin's (they send messages to people on demand).
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from breakglass import notify
from breakglass._time import utcnow

from ..deps import SessionDep, SettingsDep, StoreDep, wake_dispatch
from ..pagination import PageDep
from ..problems import Problem, problem_responses
from ..schemas import Page
from ..schemas.notifications import (
    DeliveryOut,
    NotificationOut,
    OutcomeOut,
    RetryIn,
    RetryOut,
    TestIn,
    TestOut,
)
from ._common import Admin, Id, Viewer

__all__ = ["router"]

router = APIRouter(tags=["notifications"])
_SCOPE = "notifications"


def _out(entry: notify.OutboxEntry) -> NotificationOut:
    return NotificationOut(
        id=entry.id,
        created_at=entry.created_at,
        event_type=entry.event_type,
        severity=entry.severity,
        subject=entry.subject,
        state=entry.state,
        deliveries=[DeliveryOut.model_validate(d, from_attributes=True) for d in entry.deliveries],
    )


@router.get("/notifications", response_model=Page[NotificationOut], summary="Outbox and deliveries")
def notifications(
    _: Viewer, session: SessionDep, settings: SettingsDep, page: PageDep
) -> Page[NotificationOut]:
    """Outbox entries newest first, each with its delivery state per channel (channels by
    name and kind only)."""
    key = page.key(_SCOPE, int)
    found = notify.notifications(
        session, settings, before_id=key[0] if key else None, limit=page.fetch
    )
    items, cursor = page.page(_SCOPE, found, lambda e: [e.id])
    return Page(items=[_out(e) for e in items], next=cursor)


@router.post(
    "/notifications/{outbox_id}/retry",
    response_model=RetryOut,
    responses=problem_responses(409),
    summary="Re-queue a dead delivery (admin)",
)
def retry(
    outbox_id: Id,
    request: Request,
    principal: Admin,
    store: StoreDep,
    settings: SettingsDep,
    body: RetryIn | None = None,
) -> RetryOut:
    """The notification's dead deliveries (or the one to ``channel``) are queued again with
    a fresh attempt count; 409 when none is dead."""
    try:
        with store.transaction() as session:
            requeued = notify.requeue_dead(
                session,
                settings,
                outbox_id,
                actor=principal.name,
                now=utcnow(),
                channel=body.channel if body else None,
            )
    except LookupError as exc:
        raise Problem(404, str(exc).strip("'\""), type_="not-found") from None
    if not requeued:
        raise Problem(
            409, f"notification {outbox_id} has no dead delivery to send again", type_="not-dead"
        )
    wake_dispatch(request)
    return RetryOut(id=outbox_id, requeued=requeued)


@router.post(
    "/notifications/test",
    response_model=TestOut,
    responses=problem_responses(409),
    summary="Send a test notification (admin)",
)
def test(
    principal: Admin, store: StoreDep, settings: SettingsDep, body: TestIn | None = None
) -> TestOut:
    """Queue a test message to every channel (or one) and deliver it now, as ``breakglass
    notify test``; each channel's outcome. A failed channel keeps it queued for retries."""
    channel = body.channel if body else None
    try:
        with store.transaction() as session:
            outbox_id = notify.publish_test(
                session,
                settings,
                requested_by=principal.name,
                now=utcnow(),
                channels=[channel] if channel else None,
            )
    except LookupError as exc:
        raise Problem(409, str(exc).strip("'\""), type_="not-configured") from None
    result = notify.dispatch_once(
        settings, session_factory=store.session_factory, outbox_ids=[outbox_id]
    )
    return TestOut(
        id=outbox_id,
        ok=result.ok,
        outcomes=[
            OutcomeOut(channel=o.channel, status=o.status, attempts=o.attempts, error=o.error)
            for o in result.outcomes
        ],
    )
