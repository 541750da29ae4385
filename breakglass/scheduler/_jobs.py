"""The scheduled jobs: each one calls the ``breakglass.jobs`` function the CLI calls.

=============  ==========================  =====================================
job            every                       calls
=============  ==========================  =====================================
poll           ``watch.poll_seconds``      ``jobs.poll`` (also the deep re-read)
check          ``service.check_minutes``   ``jobs.run_check``
sweep          ``service.sweep_seconds``   ``jobs.sweep``
dispatch       ``service.dispatch_seconds``  ``jobs.dispatch`` (and on ``wake``)
checkpoint     ``service.checkpoint_minutes``  ``jobs.checkpoint`` (and at shutdown)
=============  ==========================  =====================================

There is no separate daily deep-read job: ``poll`` itself re-reads the whole retention
window on its first run and at least every ``[watch] deep_read_minutes`` (an hour by
default, ``watcher.DEEP_READ_EVERY``), which is more often than daily and commits with the
same watermark rules.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from breakglass import metrics
from breakglass.config import Settings
from breakglass.errors import BreakglassError
from breakglass.store import Store

__all__ = ["JOB_NAMES", "JobSpec", "Outcome", "describe_error", "job_specs", "prime_imports"]

JOB_NAMES = ("poll", "check", "sweep", "dispatch", "checkpoint")


@dataclass(frozen=True)
class Outcome:
    """What one run did: ``ok``, or ``partial`` (it ran, but some reads failed: ``error``)."""

    result: str = "ok"
    error: str | None = None
    #: Worth an info line (something happened); routine runs log at debug.
    notable: bool = True
    #: Deliver what the run enqueued right away.
    wake_dispatch: bool = False
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JobSpec:
    name: str
    seconds: float
    run: Callable[[Store, Settings], Outcome]
    #: When a replica that starts leading first runs it: at once, right after its first
    #: poll (the check: one Graph-heavy job at a time while the SDK's modules are first
    #: imported; two threads importing them at once can deadlock on Python's import
    #: locks), or at its first scheduled time.
    first_run: Literal["at_once", "after_poll", "on_schedule"]


def job_specs(settings: Settings) -> tuple[JobSpec, ...]:
    service = settings.service
    return (
        JobSpec("poll", float(settings.watch.poll_seconds), _poll, "at_once"),
        JobSpec("check", service.check_minutes * 60, _check, "after_poll"),
        JobSpec("sweep", service.sweep_seconds, _sweep, "at_once"),
        JobSpec("dispatch", service.dispatch_seconds, _dispatch, "at_once"),
        JobSpec("checkpoint", service.checkpoint_minutes * 60, _checkpoint, "on_schedule"),
    )


def prime_imports() -> None:
    """Import what the jobs import lazily, in the calling thread, before any job runs.

    The first poll and check would otherwise import azure-identity and the Graph SDK in
    two threads at once, which can end in Python's import-lock ``_DeadlockError``.
    """
    import importlib

    from breakglass import jobs

    for name in jobs.__all__:
        getattr(jobs, name)
    for module in (
        "azure.identity",
        "msgraph.graph_service_client",
        "breakglass.graph.session",
        "breakglass.graph.collect",
        "breakglass.graph.audit_logs",
        "breakglass.checks.runner",
        "breakglass.audit",
    ):
        importlib.import_module(module)


def _poll(store: Store, settings: Settings) -> Outcome:
    from breakglass import jobs

    started = time.monotonic()
    result = jobs.poll(store, settings)
    metrics.record_poll(time.monotonic() - started, complete=result.ok, finished_at=time.time())
    failed = "; ".join(f"{stream}: {_line(msg)}" for stream, msg in sorted(result.errors.items()))
    return Outcome(
        result="ok" if result.ok else "partial",
        error=failed[:500] or None,
        wake_dispatch=True,
        summary={
            "new": len(result.new_signin_ids),
            "reviews_opened": len(result.reviews_opened),
            "deep": result.deep_streams,
        },
    )


def _check(store: Store, settings: Settings) -> Outcome:
    from breakglass import jobs

    run = jobs.run_check(store, settings)
    return Outcome(wake_dispatch=True, summary={"findings": dict(run.summary)})


def _sweep(store: Store, settings: Settings) -> Outcome:
    from breakglass import jobs

    swept = jobs.sweep(store, settings)
    busy = bool(swept.reminded or swept.escalated)
    return Outcome(
        notable=busy,
        wake_dispatch=busy,
        summary={"reminded": len(swept.reminded), "escalated": len(swept.escalated)},
    )


def _dispatch(store: Store, settings: Settings) -> Outcome:
    from breakglass import jobs

    result = jobs.dispatch(store, settings)
    return Outcome(
        notable=bool(result.outcomes),
        summary={
            "sent": len(result.sent),
            "retried": len(result.retried),
            "dead": len(result.dead),
        },
    )


def _checkpoint(store: Store, settings: Settings) -> Outcome:
    from breakglass import jobs

    path = jobs.checkpoint(store, settings)
    return Outcome(summary={"file": path.name})


def describe_error(exc: BaseException) -> str:
    """One secret-free line for a job that raised (logs, ``JobStatus.last_error``).

    Our own errors are written to be logged; a database error shows its driver's first
    line, never the statement and its parameters.
    """
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(exc, BreakglassError):
        return _line(str(exc))
    if isinstance(exc, SQLAlchemyError):
        cause = getattr(exc, "orig", None) or exc
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
        return _line(f"database: {type(cause).__name__}: {first}")
    return _line(f"{type(exc).__name__}: {exc}")


def _line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
