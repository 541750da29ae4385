"""Fixtures for the scheduler tests: a webhook receiver and a way to wait for a condition."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.notify import Receiver, serve_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A threaded HTTP server on 127.0.0.1 recording every POST."""
    yield from serve_receiver(None)
