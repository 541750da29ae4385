"""The one blindness rule of the sign-in watcher (DESIGN §8, BG-042, ``/readyz``).

A stream is *blind* when it has never been polled successfully, or when its last successful
poll is older than ``BLIND_INTERVALS`` poll intervals (and at least ``BLIND_FLOOR``).
BG-042, ``/readyz`` and the ``monitor_blind`` alert all ask ``stream_health``; nothing else
decides blindness.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from breakglass._time import as_utc
from breakglass.config import Settings

__all__ = [
    "BLIND_INTERVALS",
    "PollState",
    "StreamHealth",
    "all_stream_health",
    "stream_health",
    "stream_names",
]

#: The monitor is blind when its last success is older than this many poll intervals.
BLIND_INTERVALS = 3
#: ...but never less than this: with a poll every few seconds, one slow Graph answer (or a
#: check run sharing the process) would otherwise flap the watcher to blind.
BLIND_FLOOR = timedelta(seconds=60)


class PollState(Protocol):
    """What the rule reads of a stream's stored poll state (``PollStateRow``)."""

    last_success_at: datetime | None
    last_attempt_at: datetime | None
    consecutive_failures: int
    last_error: str | None


@dataclass(frozen=True)
class StreamHealth:
    """One stream's health at a moment."""

    stream: str
    blind: bool
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    consecutive_failures: int
    last_error: str | None
    #: One sentence saying what is wrong ("" when not blind).
    problem: str
    #: How old the last success may be before the stream counts as blind.
    blind_after_seconds: int


def stream_names(settings: Settings) -> list[str]:
    """The streams the watcher must poll for these settings."""
    return ["signins", "signins_beta"] if settings.watch.non_interactive else ["signins"]


def _span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours >= 48:
        return f"{hours / 24:.1f} days"
    if hours >= 1:
        return f"{hours:.1f} hours"
    return f"{delta.total_seconds() / 60:.0f} minutes"


def stream_health(
    stream: str, state: PollState | None, settings: Settings, now: datetime
) -> StreamHealth:
    """Whether ``stream`` is blind at ``now`` given its stored state (``None``: never polled)."""
    limit = max(timedelta(seconds=BLIND_INTERVALS * settings.watch.poll_seconds), BLIND_FLOOR)
    last = as_utc(state.last_success_at) if state and state.last_success_at else None
    attempt = as_utc(state.last_attempt_at) if state and state.last_attempt_at else None
    failures = (state.consecutive_failures or 0) if state else 0
    error = state.last_error if state else None
    problem = ""
    if state is None or (attempt is None and last is None):
        problem = f"{stream} has never been polled"
    elif last is None:
        problem = (
            f"{stream} was never polled successfully ({failures} failed polls; last error: "
            f"{error or 'none recorded'})"
        )
    elif now - last > limit:
        problem = (
            f"{stream} last polled successfully {_span(now - last)} ago ({failures} failed "
            f"polls since; last error: {error or 'none recorded'})"
        )
    return StreamHealth(
        stream=stream,
        blind=bool(problem),
        last_success_at=last,
        last_attempt_at=attempt,
        consecutive_failures=failures,
        last_error=error,
        problem=problem,
        blind_after_seconds=int(limit.total_seconds()),
    )


def all_stream_health(
    states: Mapping[str, PollState], settings: Settings, now: datetime
) -> tuple[StreamHealth, ...]:
    """The health of every stream these settings require, from the stored states by name."""
    return tuple(stream_health(s, states.get(s), settings, now) for s in stream_names(settings))
