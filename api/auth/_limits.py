"""Failed token authentications per client address: a sliding one-minute window.

In-process: each replica counts its own failures (behind a load balancer an address may
get up to ``limit`` failures per replica). Addresses are forgotten a minute after their
last failure; at most ``MAX_ADDRESSES`` are tracked (the quietest are dropped first), so a
flood of spoofed addresses cannot grow memory.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

__all__ = ["WINDOW_SECONDS", "FailureLimiter"]

WINDOW_SECONDS = 60.0
MAX_ADDRESSES = 10_000


class FailureLimiter:
    def __init__(
        self,
        limit: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_addresses: int = MAX_ADDRESSES,
    ) -> None:
        self.limit = limit
        self.clock = clock
        self.max_addresses = max_addresses
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float] | None:
        times = self._failures.get(address)
        if times is None:
            return None
        while times and times[0] <= now - WINDOW_SECONDS:
            times.popleft()
        if not times:
            del self._failures[address]
            return None
        return times

    def retry_after(self, address: str) -> int | None:
        """Seconds until ``address`` may try again, or None when it may try now."""
        with self._lock:
            now = self.clock()
            times = self._recent(address, now)
            if times is None or len(times) < self.limit:
                return None
            return max(1, math.ceil(times[-self.limit] + WINDOW_SECONDS - now))

    def failed(self, address: str) -> None:
        with self._lock:
            now = self.clock()
            times = self._recent(address, now)
            if times is None:
                if len(self._failures) >= self.max_addresses:
                    self._forget_quietest(now)
                times = self._failures[address] = deque(maxlen=self.limit)
            times.append(now)

    def _forget_quietest(self, now: float) -> None:
        for address in list(self._failures):
            self._recent(address, now)
        while len(self._failures) >= self.max_addresses:
            quietest = min(self._failures, key=lambda a: self._failures[a][-1])
            del self._failures[quietest]
