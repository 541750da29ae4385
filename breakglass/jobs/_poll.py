"""The poll job: one poll of every sign-in stream, committed (DESIGN §8)."""

from __future__ import annotations

from datetime import datetime

from breakglass.config import Settings
from breakglass.store import Store
from breakglass.watcher import PollResult, poll_once

__all__ = ["poll"]


def poll(store: Store, settings: Settings, *, now: datetime | None = None) -> PollResult:
    """Fetch the new sign-ins of the emergency accounts, store, alert and group them."""
    return poll_once(store, settings, now=now)
