"""The watch cycle: poll, then the deadline sweep, then deliver what they raised.

``watch --once`` (a cron user's whole watcher) and ``watch`` (forever) run exactly this;
the service schedules the three jobs separately.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from breakglass.config import Settings
from breakglass.jobs._dispatch import dispatch
from breakglass.jobs._poll import poll
from breakglass.jobs._sweep import sweep
from breakglass.reviews import SweepResult
from breakglass.store import Store
from breakglass.watcher import PollResult

__all__ = ["WatchCycle", "run_forever", "watch_cycle"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class WatchCycle:
    """What one cycle did."""

    poll: PollResult
    sweep: SweepResult
    dispatch: Any


def watch_cycle(store: Store, settings: Settings, *, now: datetime | None = None) -> WatchCycle:
    """One poll, one deadline sweep, one dispatch of the pending notifications."""
    polled = poll(store, settings, now=now)
    swept = sweep(store, settings, now=now)
    delivered = dispatch(store, settings, now=now)
    return WatchCycle(poll=polled, sweep=swept, dispatch=delivered)


def run_forever(
    store: Store,
    settings: Settings,
    *,
    on_cycle: Callable[[WatchCycle], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    cycles: int | None = None,
) -> int:
    """``watch_cycle`` every ``watch.poll_seconds`` until interrupted (or ``cycles`` ran).

    A cycle that crashes is logged and the next one runs on time: a watcher that stops at
    the first bug is a blind watcher. Returns the number of cycles that crashed.
    """
    interval = settings.watch.poll_seconds
    crashed = ran = 0
    while cycles is None or ran < cycles:
        started = clock()
        try:
            result = watch_cycle(store, settings)
        except Exception:  # logged and counted; the next cycle retries (BG-042 sees the gap)
            crashed += 1
            log.exception("watch.cycle.crashed", crashed=crashed)
        else:
            if on_cycle is not None:
                on_cycle(result)
        ran += 1
        if cycles is None or ran < cycles:
            sleep(max(0.0, interval - (clock() - started)))
    return crashed
