"""The failed-authentication limiter: a sliding minute per address, bounded memory."""

from __future__ import annotations

from breakglass_api.auth._limits import FailureLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_window_slides() -> None:
    """The limit counts the last minute only; Retry-After is when the oldest failure ages out."""
    clock = Clock()
    limiter = FailureLimiter(3, clock=clock)
    for step in (0, 10, 20):
        clock.now = 1000 + step
        assert limiter.retry_after("a") is None
        limiter.failed("a")
    assert limiter.retry_after("a") == 40  # the failure at t=0 ages out at t=60
    assert limiter.retry_after("b") is None
    clock.now = 1060.5
    assert limiter.retry_after("a") is None
    limiter.failed("a")
    assert limiter.retry_after("a") == 10  # failures at 10, 20, 60.5: the one at 10 counts


def test_memory_is_bounded() -> None:
    """Past the address cap, the quietest address is forgotten first."""
    clock = Clock()
    limiter = FailureLimiter(1, clock=clock, max_addresses=3)
    for index, address in enumerate(["a", "b", "c", "d"]):
        clock.now = 1000 + index
        limiter.failed(address)
    assert limiter.retry_after("a") is None  # forgotten
    assert all(limiter.retry_after(x) is not None for x in "bcd")
