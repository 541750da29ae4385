"""Process-level Prometheus metrics (DESIGN §13): what this process did, not what the
database holds.

One ``CollectorRegistry``, built on first use (``process_registry()``), so importing this
module creates nothing and a CLI command that never records a metric never builds it::

    breakglass_job_runs_total{job,result}            scheduled job runs (ok, partial, error)
    breakglass_job_duration_seconds{job}             histogram of job run times
    breakglass_poll_duration_seconds                 histogram of sign-in poll times
    breakglass_last_successful_poll_timestamp_seconds  Unix time of this process's last
                                                       poll that read every stream
    breakglass_leader                                1 while this replica runs the jobs
    breakglass_graph_requests_total{status}          Graph responses by HTTP status

The ``/metrics`` route renders this registry together with the gauges it reads from the
database (reviews, findings, outbox). Labels carry job names and status codes only:
nothing tenant-specific and nothing secret.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = [
    "count_graph_response",
    "process_registry",
    "record_job",
    "record_poll",
    "set_leader",
]

#: Seconds: from an idle dispatch pass to a slow check run against a large tenant.
_JOB_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900)
#: Seconds: a poll is a few Graph pages, unless Graph throttles or the deep read is large.
_POLL_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300)


@dataclass(frozen=True)
class _Collectors:
    registry: CollectorRegistry
    job_runs: Counter
    job_duration: Histogram
    poll_duration: Histogram
    last_poll: Gauge
    leader: Gauge
    graph_requests: Counter


_lock = threading.Lock()
_built: _Collectors | None = None


def _collectors() -> _Collectors:
    global _built
    if _built is None:
        with _lock:
            if _built is None:
                _built = _build()
    return _built


def _build() -> _Collectors:
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

    registry = CollectorRegistry(auto_describe=True)
    return _Collectors(
        registry=registry,
        job_runs=Counter(
            "breakglass_job_runs",
            "Scheduled job runs by job and result (ok, partial: some Graph reads failed, "
            "error: the job raised).",
            ["job", "result"],
            registry=registry,
        ),
        job_duration=Histogram(
            "breakglass_job_duration_seconds",
            "Run time of the scheduled jobs.",
            ["job"],
            buckets=_JOB_BUCKETS,
            registry=registry,
        ),
        poll_duration=Histogram(
            "breakglass_poll_duration_seconds",
            "Run time of one sign-in poll (every stream, stored and committed).",
            buckets=_POLL_BUCKETS,
            registry=registry,
        ),
        last_poll=Gauge(
            "breakglass_last_successful_poll_timestamp_seconds",
            "Unix time at which this process last finished a poll that read every stream.",
            registry=registry,
        ),
        leader=Gauge(
            "breakglass_leader",
            "1 while this replica holds the scheduler leadership and runs the jobs.",
            registry=registry,
        ),
        graph_requests=Counter(
            "breakglass_graph_requests",
            "Responses from Microsoft Graph by HTTP status (after the SDK's own retries).",
            ["status"],
            registry=registry,
        ),
    )


def process_registry() -> CollectorRegistry:
    """The registry holding this process's collectors (built on the first call)."""
    return _collectors().registry


def record_job(job: str, result: str, seconds: float) -> None:
    """Count one run of ``job`` with its ``result`` (``ok``, ``partial``, ``error``)."""
    built = _collectors()
    built.job_runs.labels(job=job, result=result).inc()
    built.job_duration.labels(job=job).observe(seconds)


def record_poll(seconds: float, *, complete: bool, finished_at: float) -> None:
    """One poll took ``seconds``; a ``complete`` one (every stream read) moves the gauge."""
    built = _collectors()
    built.poll_duration.observe(seconds)
    if complete:
        built.last_poll.set(finished_at)


def set_leader(leader: bool) -> None:
    _collectors().leader.set(1 if leader else 0)


def count_graph_response(status: int) -> None:
    """One response from Graph with this HTTP status."""
    _collectors().graph_requests.labels(status=str(status)).inc()
