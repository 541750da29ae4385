"""What the store tells the checks: typed, frozen facts instead of a string-keyed bag.

The checks that read history (BG-008, BG-009, BG-024, BG-040, BG-041, BG-042) take these
from ``CheckContext.stored``. ``stored is None`` means the store was not read in this run
(``check --no-store``): such checks answer ``skipped`` with the reason, never ``pass``.
The entry point that owns the store builds them (``breakglass.jobs.load_stored_facts``); checks stay
pure functions of their context.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from breakglass.runbook import RunbookRelease
    from breakglass.watcher.health import StreamHealth

__all__ = ["OverdueReview", "PolicyFingerprint", "RunFacts", "StoredFacts"]


@dataclass(frozen=True)
class OverdueReview:
    """A review past its submit or approve deadline (BG-040)."""

    review_id: int
    kind: str  # usage | attempt
    state: str  # open (overdue for submission) | submitted (overdue for approval)
    account_id: str
    account_upn: str
    due_at: datetime


@dataclass(frozen=True)
class PolicyFingerprint:
    """A Conditional Access policy that affects an emergency account, as BG-024 compares it."""

    name: str | None
    fingerprint: str


@dataclass(frozen=True)
class RunFacts:
    """What a later run compares against (drift); stored as JSON with each run."""

    taken_at: datetime
    #: policy id -> fingerprint of every CA policy affecting the accounts; ``None`` when the
    #: policies could not be read in that run (no baseline).
    ca_affecting: Mapping[str, PolicyFingerprint] | None

    def to_json(self) -> dict[str, Any]:
        return {
            "taken_at": self.taken_at.isoformat(),
            "ca_affecting": None
            if self.ca_affecting is None
            else {
                pid: {"name": fp.name, "fingerprint": fp.fingerprint}
                for pid, fp in self.ca_affecting.items()
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunFacts:
        """The facts of a stored run; unreadable parts become ``None`` (no baseline)."""
        from breakglass._time import parse_graph_time

        taken = parse_graph_time(data.get("taken_at"))
        raw = data.get("ca_affecting")
        affecting: dict[str, PolicyFingerprint] | None = None
        if isinstance(raw, dict):
            affecting = {
                str(pid): PolicyFingerprint(
                    name=item.get("name") if isinstance(item.get("name"), str) else None,
                    fingerprint=str(item.get("fingerprint")),
                )
                for pid, item in raw.items()
                if isinstance(item, dict) and isinstance(item.get("fingerprint"), str)
            }
        return cls(taken_at=taken or datetime.min, ca_affecting=affecting)


@dataclass(frozen=True)
class StoredFacts:
    """Everything the store adds to one check run."""

    #: Reviews past their deadline at the run's ``now``.
    overdue_reviews: tuple[OverdueReview, ...] = ()
    #: The health of every sign-in stream the watcher must poll (one rule: watcher.health).
    streams: tuple[StreamHealth, ...] = ()
    #: The latest signed runbook release, or ``None`` when none was ever recorded.
    runbook_release: RunbookRelease | None = None
    #: The previous complete run's facts, or ``None`` for the first run.
    previous_run: RunFacts | None = None
    #: account object id -> date of the latest closed drill review (validation, BG-009).
    drills: Mapping[str, date] = field(default_factory=dict)
    #: account object id -> end of the latest session a closed review waived rotation for.
    rotation_waivers: Mapping[str, datetime] = field(default_factory=dict)
