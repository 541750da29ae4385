"""The one place that reads and writes timestamps.

Graph writes ``2025-06-15T14:26:40.1234567Z`` (up to seven fractional digits, ``Z``), and
sometimes ``""`` or ``0001-01-01T00:00:00Z`` for "never". Python before 3.11 rejected some
of these forms and ``fromisoformat`` still differs between versions, so every module parses
through here and gets an aware UTC ``datetime`` (or ``None`` for "not a time").
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "as_utc",
    "graph_time",
    "iso_utc",
    "parse_graph_time",
    "parse_iso_utc",
    "utcnow",
]

_STAMP = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?\s*(Z|z|[+-]\d{2}:?\d{2})?"
)
#: Graph's "never" sentinel year; anything before this is treated as no time at all.
_NEVER_BEFORE = datetime(1900, 1, 1, tzinfo=UTC)


def utcnow() -> datetime:
    """The current time, aware UTC (the default clock of every job)."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """``moment`` as aware UTC; a naive value is taken to be UTC already (database rows)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_graph_time(value: Any, *, never_as_none: bool = True) -> datetime | None:
    """A Graph timestamp as aware UTC; ``None`` for anything that is not a real time.

    ``None``, ``""``, non-strings, unparseable text and (unless ``never_as_none`` is false,
    as in the simulator, which must read every stamp literally) the ``0001-01-01`` "never"
    sentinel all give ``None``. A ``datetime`` passes through (made aware UTC).
    """
    if isinstance(value, datetime):
        moment = as_utc(value)
        return None if never_as_none and moment < _NEVER_BEFORE else moment
    if not isinstance(value, str) or not value.strip():
        return None
    match = _STAMP.fullmatch(value.strip())
    if not match:
        return None
    day, clock, fraction, zone = match.groups()
    stamp = f"{day}T{clock}"
    if fraction:
        stamp += "." + fraction[:6].ljust(6, "0")
    if zone in (None, "Z", "z"):
        stamp += "+00:00"
    else:
        stamp += zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
    try:
        moment = datetime.fromisoformat(stamp).astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return None if never_as_none and moment < _NEVER_BEFORE else moment


def parse_iso_utc(text: str) -> datetime:
    """A timestamp we wrote ourselves; raises ``ValueError`` on anything else or a naive one."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no timezone")
    return moment.astimezone(UTC)


def iso_utc(moment: datetime) -> str:
    """``2025-06-15T14:26:40Z``: second precision, always UTC; refuses a naive time."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: give a timezone")
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def graph_time(moment: datetime, *, round_up: bool = False) -> str:
    """Graph's ``$filter`` form ``2025-01-01T12:00:00Z``; ``round_up`` moves a fractional
    second to the next one (so ``le`` still includes the moment itself)."""
    moment = as_utc(moment)
    if round_up and moment.microsecond:
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
