"""Everything logged while a test runs, as ``breakglass --log-level debug`` logs it.

``capturing(caplog)`` configures logging as the CLI does at debug level, records every
structlog event (before any processor, so redaction by key is not relied upon) and every
stdlib record, and restores the logging set-up afterwards. The ``captured`` fixture in
tests/conftest.py wraps it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
import structlog

from breakglass.logs import configure_logging

__all__ = ["Captured", "capturing"]

#: A JSON Web Token (access token, client assertion): none belongs in a log line.
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.")

#: Loggers whose levels ``configure_logging`` or a test may change; restored afterwards.
_LIBRARY_LOGGERS = ("httpx", "httpcore", "azure", "msal", "urllib3", "sqlalchemy", "kiota")


@dataclass
class Captured:
    """Everything logged while a test ran."""

    events: list[MutableMapping[str, Any]]
    caplog: pytest.LogCaptureFixture

    def lines(self) -> list[str]:
        rendered = [repr(event) for event in self.events]
        formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
        for record in self.caplog.records:
            rendered.append(formatter.format(record))
            rendered.append(repr(record.__dict__))
        return rendered

    def event_names(self) -> set[str]:
        return {str(event.get("event")) for event in self.events}

    def loggers(self) -> set[str]:
        return {record.name for record in self.caplog.records}

    def assert_clean(self, *secrets: str) -> None:
        """No secret (verbatim or URL-quoted) and no JWT in any captured event or record."""
        lines = self.lines()
        assert lines, "nothing was logged: the capture is not working"
        forms = {form for s in secrets for form in (s, quote(s, safe=""))}
        leaks = [(form, line) for line in lines for form in forms if form in line]
        leaks += [("a JWT", line) for line in lines if JWT.search(line)]
        assert not leaks, "secret in a log line:\n" + "\n".join(
            f"{form!r} in {line[:400]}" for form, line in leaks
        )


@contextmanager
def capturing(caplog: pytest.LogCaptureFixture) -> Iterator[Captured]:
    """Logging as ``--log-level debug`` sets it up, with every event and record captured."""
    saved_config = structlog.get_config()
    root = logging.getLogger()
    saved_levels = {name: logging.getLogger(name).level for name in ("", *_LIBRARY_LOGGERS)}
    configure_logging("debug")
    caplog.set_level(logging.DEBUG)
    try:
        with structlog.testing.capture_logs() as events:
            yield Captured(events, caplog)
    finally:
        structlog.configure(**saved_config)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
        root.setLevel(saved_levels[""])
