"""Fixtures for the job tests: an HTTP receiver for the notifications the jobs deliver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from breakglass.store import Store
from tests.support.notify import Receiver, serve_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A threaded HTTP server on 127.0.0.1 recording every POST."""
    yield from serve_receiver(None)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """The test database, opened as an entry point would."""
    with Store.open(db_url) as opened:
        yield opened
