"""Polling forever: one poll per interval, then a deadline sweep of the reviews.

A failed poll is recorded by ``poll_once`` and retried at the next interval.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog

from breakglass.config import Settings
from breakglass.reviews._deadlines import sweep
from breakglass.watcher._poll import PollResult, poll_once

__all__ = ["run_forever"]

log = structlog.get_logger(__name__)


def run_forever(
    settings: Settings,
    *,
    on_poll: Callable[[PollResult], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Poll every ``poll_interval_seconds`` until KeyboardInterrupt."""
    interval = settings.thresholds.poll_interval_seconds
    while True:
        started = time.monotonic()
        result = poll_once(settings)
        sweep(settings)  # deadlines: reminders and daily escalations ride on the poll loop
        if on_poll is not None:
            on_poll(result)
        sleep(max(0.0, interval - (time.monotonic() - started)))
