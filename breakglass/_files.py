"""Reading a file a person names, without trusting its size.

A path given on the command line can be a device or a pipe (``/dev/zero``, ``<(…)``) whose
size ``stat`` does not tell, or a file far larger than any the product writes. ``read_at_most``
reads no more than ``limit`` bytes plus one, so the caller can refuse an oversized input with
its own message instead of exhausting memory.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["TooLarge", "read_at_most"]


class TooLarge(ValueError):
    """The file holds more than the limit; ``limit`` says how much was allowed."""

    def __init__(self, path: Path, limit: int) -> None:
        self.path = path
        self.limit = limit
        super().__init__(f"{path} is larger than {_size(limit)}")


def _size(n: int) -> str:
    return f"{n // 2**20} MiB" if n >= 2**20 and n % 2**20 == 0 else f"{n // 1024} KiB"


def read_at_most(path: Path, limit: int) -> bytes:
    """The bytes of ``path``; ``TooLarge`` if it holds more than ``limit``. ``OSError`` as
    ``open`` and ``read`` raise it."""
    with Path(path).open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(Path(path), limit)
    return data
