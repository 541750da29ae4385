"""What a replica tells the API about itself: leadership and the last run of each job."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["JobStatus", "ServiceStatus"]


@dataclass(frozen=True)
class JobStatus:
    """One scheduled job as this replica saw it.

    ``last_ok`` is None before the first run; ``last_error`` is a one-line, secret-free
    reason (a Graph stream that failed, or the exception's type and first line).
    ``next_run`` is None on a follower: it runs no jobs.
    """

    name: str
    last_started: datetime | None = None
    last_finished: datetime | None = None
    last_ok: bool | None = None
    last_error: str | None = None
    next_run: datetime | None = None


@dataclass(frozen=True)
class ServiceStatus:
    """This replica (``host:pid``), whether it leads, and who does.

    ``leader_replica`` is None when no replica holds the leadership (nothing polls).
    """

    replica: str
    leader: bool
    leader_replica: str | None
    started_at: datetime
    jobs: dict[str, JobStatus] = field(default_factory=dict)
