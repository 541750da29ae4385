"""Fixtures for ``breakglass serve`` as a real process (helpers: tests/support/serve.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.notify import Receiver, serve_receiver
from tests.support.serve import Served


@pytest.fixture
def serving() -> Iterator[list[Served]]:
    """Processes a test started; any still running at the end are killed."""
    started: list[Served] = []
    yield started
    for served in started:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait(timeout=10)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A threaded HTTP server on 127.0.0.1 recording every POST."""
    yield from serve_receiver(None)
