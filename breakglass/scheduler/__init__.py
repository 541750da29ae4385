"""The service's scheduler (DESIGN §13): the jobs of ``breakglass.jobs`` on a schedule,
run by one leader among the replicas, and ``run_service`` behind ``breakglass serve``.

::

    run_service(settings, host=..., port=...)   # uvicorn + scheduler until SIGTERM
    state = ServiceState(store, settings)       # one replica's scheduler
    state.status()  -> ServiceStatus(replica, leader, leader_replica, started_at, jobs)
    state.wake("dispatch")                      # deliver what a route just enqueued

Leadership: a PostgreSQL session advisory lock; on SQLite one serving process per
database file, a second one is refused (``_leader`` explains both). Imports stay lazy so
``breakglass --help`` never loads APScheduler or uvicorn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from breakglass._lazy import lazy_exports

if TYPE_CHECKING:
    from breakglass.scheduler._jobs import JOB_NAMES
    from breakglass.scheduler._leader import (
        Leadership,
        LocalLeadership,
        PostgresLeadership,
        leadership_for,
    )
    from breakglass.scheduler._service import run_service
    from breakglass.scheduler._state import ServiceState
    from breakglass.scheduler._status import JobStatus, ServiceStatus

_WHERE = {
    "JOB_NAMES": "_jobs",
    "JobStatus": "_status",
    "Leadership": "_leader",
    "LocalLeadership": "_leader",
    "PostgresLeadership": "_leader",
    "ServiceState": "_state",
    "ServiceStatus": "_status",
    "leadership_for": "_leader",
    "run_service": "_service",
}

__all__ = [
    "JOB_NAMES",
    "JobStatus",
    "Leadership",
    "LocalLeadership",
    "PostgresLeadership",
    "ServiceState",
    "ServiceStatus",
    "leadership_for",
    "run_service",
]

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, __all__)
