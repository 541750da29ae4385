"""The sign-in watcher (DESIGN §8): poll the sign-in logs of the emergency accounts.

    result = poll_once(store, settings)       # one poll, committed
    streams_health(session, settings, now)    # the one blindness rule, per stream

The schedule (one poll per interval, then the deadline sweep and the dispatch) lives in
``breakglass.jobs``.
"""

from __future__ import annotations

from breakglass.watcher._poll import (
    PollResult,
    poll_once,
    poll_once_async,
    poll_states,
    streams_health,
)
from breakglass.watcher.health import BLIND_INTERVALS, StreamHealth, stream_health

__all__ = [
    "BLIND_INTERVALS",
    "PollResult",
    "StreamHealth",
    "poll_once",
    "poll_once_async",
    "poll_states",
    "stream_health",
    "streams_health",
]
