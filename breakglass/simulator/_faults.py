"""Fault injection: the ways Graph misbehaves, per route.

A fault applies to the next ``count`` Graph requests whose decoded path (with its query)
matches ``path`` (a regular expression, ``re.search``), including requests inside
``$batch``; the ``$batch`` request itself is matched as ``/v1.0/$batch``. Faults come from
the scenario's ``faults`` list or ``POST /_sim/faults``.

With ``probability`` (0 < p ≤ 1) a fault applies to each matching request with that
chance: "20 % of sign-in reads answer 429" is ``{"path": "auditLogs/signIns", "status":
429, "retry_after": 1, "probability": 0.2, "count": 1000000}``. ``count`` then counts the
requests it applied to. A request it passes over goes on to the next matching fault, so
faults of different kinds on one route add up (20 % 429, then 5 % 503 of the rest). Each
fault draws from its own ``random.Random(seed)`` (``seed`` defaults to 0), so the same
sequence of requests meets the same faults on every run.

What a fault does:

- ``status``: answer with that Graph error instead (401 expired token, 403
  ``Authorization_RequestDenied``, 429/5xx with ``retry_after`` as ``Retry-After``);
- ``delay``: answer late (seconds);
- ``empty_pages``: insert empty pages that still carry a nextLink;
- ``next_link``: replace the page's ``@odata.nextLink`` with this URL (another host, or the
  same link again), to test a client's defences;
- ``body``: answer 200 with a damaged body (``BODIES``): ``truncated`` JSON, an ``empty``
  body, an ``html`` error page, a page with ``no_value``, ``null``, an ``empty_object``
  ``{}``, or ``id_only`` (each resource reduced to ``{"id": ...}``). Inside ``$batch`` the
  item's status stays 200 and its body becomes the damaged text (or ``null``);
- ``set``: merge these properties into the served resource (or into each item of a page),
  e.g. ``{"onPremisesSyncEnabled": "true"}`` for a wrong-typed property.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["BODIES", "Fault", "FaultBook", "parse_fault"]

_STATUSES = frozenset({401, 403, 429, 500, 502, 503, 504})
#: The damaged bodies a ``body`` fault can serve.
BODIES = frozenset({"truncated", "empty", "html", "no_value", "null", "empty_object", "id_only"})
_KEYS = frozenset(
    {
        "path",
        "status",
        "count",
        "retry_after",
        "delay",
        "empty_pages",
        "next_link",
        "body",
        "set",
        "probability",
        "seed",
    }
)


@dataclass
class Fault:
    """One injected misbehaviour; ``remaining`` counts down per matching request."""

    pattern: re.Pattern[str]
    status: int | None
    remaining: int
    retry_after: float | None
    delay: float
    empty_pages: bool
    next_link: str | None = None
    body: str | None = None
    set: dict[str, Any] = field(default_factory=dict)
    #: The chance that a matching request meets this fault (1.0: every one).
    probability: float = 1.0
    seed: int = 0
    #: Matching requests it passed over (probability < 1).
    passed: int = 0
    #: Seeded on purpose (runs repeat); nothing secret is drawn from it.
    rng: random.Random = field(default_factory=lambda: random.Random(0), repr=False)  # noqa: S311

    def applies(self) -> bool:
        """Draw for one matching request (always True without a probability)."""
        if self.probability >= 1.0:
            return True
        if self.rng.random() < self.probability:
            return True
        self.passed += 1
        return False

    def describe(self) -> dict[str, Any]:
        return {
            "path": self.pattern.pattern,
            "status": self.status,
            "count": self.remaining,
            "retry_after": self.retry_after,
            "delay": self.delay,
            "empty_pages": self.empty_pages,
            "next_link": self.next_link,
            "body": self.body,
            "set": self.set,
            "probability": self.probability,
            "seed": self.seed,
            "passed": self.passed,
        }


def parse_fault(spec: Mapping[str, Any]) -> Fault:
    """Validate a fault object; raises ValueError with a message for the caller."""
    unknown = set(spec) - _KEYS
    if unknown:
        raise ValueError(f"unknown fault key {sorted(unknown)[0]!r} (allowed: {sorted(_KEYS)})")
    try:
        pattern = re.compile(str(spec.get("path", ".*")))
    except re.error as exc:
        raise ValueError(f"'path' is not a valid regular expression: {exc}") from None
    status = spec.get("status")
    if status is not None and status not in _STATUSES:
        raise ValueError(f"'status' must be one of {sorted(_STATUSES)} or null")
    count = spec.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ValueError("'count' must be a positive integer")
    retry_after = spec.get("retry_after")
    if retry_after is not None and (not isinstance(retry_after, int | float) or retry_after < 0):
        raise ValueError("'retry_after' must be a number of seconds or null")
    delay = spec.get("delay", 0)
    if not isinstance(delay, int | float) or delay < 0 or delay > 120:
        raise ValueError("'delay' must be between 0 and 120 seconds")
    empty_pages = spec.get("empty_pages", False)
    if not isinstance(empty_pages, bool):
        raise ValueError("'empty_pages' must be true or false")
    next_link = spec.get("next_link")
    if next_link is not None and not isinstance(next_link, str):
        raise ValueError("'next_link' must be a URL string or null")
    body = spec.get("body")
    if body is not None and body not in BODIES:
        raise ValueError(f"'body' must be one of {sorted(BODIES)} or null")
    probability = spec.get("probability", 1.0)
    if (
        not isinstance(probability, int | float)
        or isinstance(probability, bool)
        or not 0 < probability <= 1
    ):
        raise ValueError("'probability' must be a number above 0 and at most 1")
    seed = spec.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError("'seed' must be an integer")
    overrides = spec.get("set", {})
    if not isinstance(overrides, dict):
        raise ValueError("'set' must be an object of properties to merge into what is served")
    does_something = status is not None or delay or empty_pages or next_link is not None
    if not does_something and body is None and not overrides:
        raise ValueError(
            "a fault needs a 'status', a 'delay', 'empty_pages', 'next_link', 'body' or 'set'"
        )
    return Fault(
        pattern,
        status,
        count,
        retry_after,
        float(delay),
        empty_pages,
        next_link,
        body,
        dict(overrides),
        float(probability),
        seed,
        rng=random.Random(seed),  # noqa: S311 - reproducible faults, not secrets
    )


class FaultBook:
    """The active faults, first added first applied; safe to use from many threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def active(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.describe() for fault in self._faults]

    def take(self, target: str) -> Fault | None:
        """The first fault matching ``target`` that applies (see ``probability``), with one
        use consumed; None if none."""
        with self._lock:
            for fault in self._faults:
                if fault.pattern.search(target) and fault.applies():
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None
