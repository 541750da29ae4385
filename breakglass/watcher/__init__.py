"""The sign-in watcher (DESIGN §8): poll the sign-in logs of the emergency accounts.

result = poll_once(settings)          # one poll, committed
run_forever(settings)                 # every poll interval until interrupted
"""

from __future__ import annotations

from breakglass.watcher._loop import run_forever
from breakglass.watcher._poll import (
    BLIND_INTERVALS,
    PollResult,
    is_blind,
    poll_once,
    poll_once_async,
)

__all__ = [
    "BLIND_INTERVALS",
    "PollResult",
    "is_blind",
    "poll_once",
    "poll_once_async",
    "run_forever",
]
