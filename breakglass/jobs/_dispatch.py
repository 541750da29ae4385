"""The dispatch job: deliver the pending notifications of the outbox (DESIGN §10)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from breakglass.config import Settings
from breakglass.notify import DispatchResult, dispatch_once
from breakglass.store import Store

__all__ = ["dispatch"]


def dispatch(
    store: Store,
    settings: Settings,
    *,
    now: datetime | None = None,
    outbox_ids: Collection[int] | None = None,
) -> DispatchResult:
    """Claim and send every due delivery once (only ``outbox_ids`` when given)."""
    return dispatch_once(
        settings, session_factory=store.session_factory, now=now, outbox_ids=outbox_ids
    )
