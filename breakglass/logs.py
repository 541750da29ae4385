"""structlog set-up: logs to stderr, secrets redacted by key as a last line of defence."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

__all__ = ["configure_logging", "redact_secrets"]

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


def _stderr_logger(*_args: Any) -> structlog.PrintLogger:
    return structlog.PrintLogger(file=sys.stderr)


def configure_logging(level: str = "warning", *, json: bool = False) -> None:
    numeric = getattr(logging, level.upper(), logging.WARNING)
    logging.basicConfig(stream=sys.stderr, level=numeric, format="%(message)s")
    # httpx logs every request URL at INFO, and webhook URLs carry their token (Slack, Teams).
    logging.getLogger("httpx").setLevel(max(numeric, logging.WARNING))
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_secrets,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        # Look sys.stderr up at each call: test runners and embedding apps swap it.
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
