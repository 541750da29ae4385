"""structlog set-up: logs to stderr, secrets redacted by key as a last line of defence."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any


def _load_structlog() -> None:
    """Load structlog without letting ``structlog.dev`` import rich.

    structlog.dev imports rich (its console, tracebacks and pygments, ~50 ms) only to offer
    rich exception formatting, which breakglass never uses (``plain_traceback`` below). So
    while structlog loads first, ``import rich`` fails for it (rich is ``None`` in
    ``sys.modules``); the entry is removed after, and whoever needs rich imports it as
    usual. Only in a single-threaded process: another thread importing rich meanwhile
    would fail.
    """
    import threading

    if "structlog" in sys.modules or "rich" in sys.modules or threading.active_count() > 1:
        return
    sys.modules["rich"] = None  # type: ignore[assignment]
    try:
        import structlog  # noqa: F401
    finally:
        if "rich" in sys.modules and sys.modules["rich"] is None:
            del sys.modules["rich"]


_load_structlog()

import structlog  # noqa: E402

__all__ = ["configure_logging", "muted", "redact_secrets"]

_MUTED: ContextVar[frozenset[str]] = ContextVar("breakglass_muted_events", default=frozenset())

_SECRET_KEY = re.compile(
    r"secret|token|password|passphrase|authorization|assertion|private|credential", re.I
)
_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+")


def redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Replace values of secret-looking keys, and bearer tokens inside strings."""
    for key, value in list(event_dict.items()):
        if key != "event" and _SECRET_KEY.search(key):
            event_dict[key] = "<redacted>"
        elif isinstance(value, str) and "earer" in value:
            event_dict[key] = _BEARER.sub("Bearer <redacted>", value)
    return event_dict


@contextmanager
def muted(*events: str) -> Iterator[None]:
    """Drop the named log events inside this block (and the tasks it starts).

    For repetitions of a failure that was already reported once, e.g. every collector's
    "collection failed" after the preflight found that no token can be obtained.
    """
    token = _MUTED.set(_MUTED.get() | frozenset(events))
    try:
        yield
    finally:
        _MUTED.reset(token)


def _drop_muted(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    if event_dict.get("event") in _MUTED.get():
        raise structlog.DropEvent
    return event_dict


def _stderr_logger(*_args: Any) -> structlog.PrintLogger:
    return structlog.PrintLogger(file=sys.stderr)


def configure_logging(level: str = "warning", *, json: bool = False) -> None:
    numeric = getattr(logging, level.upper(), logging.WARNING)
    logging.basicConfig(stream=sys.stderr, level=numeric, format="%(message)s")
    # httpx logs every request URL at INFO, and webhook URLs carry their token (Slack, Teams).
    logging.getLogger("httpx").setLevel(max(numeric, logging.WARNING))
    # azure-identity logs every failed token request at WARNING; the preflight reports the
    # failure once, as our own one-line error. Below INFO the raw lines are still shown.
    logging.getLogger("azure.identity").setLevel(
        numeric if numeric <= logging.INFO else logging.ERROR
    )
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    )
    structlog.configure(
        processors=[
            _drop_muted,
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            # Tracebacks become plain text here, before redaction sees them: never with the
            # local variables (a rich traceback prints every local, client secrets included).
            structlog.processors.format_exc_info,
            redact_secrets,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        # Look sys.stderr up at each call: test runners and embedding apps swap it.
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
