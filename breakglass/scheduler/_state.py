"""``ServiceState``: this replica's scheduler — its leadership, its jobs, their status.

::

    state = ServiceState(store, settings)
    state.reserve()          # SQLite: the file lock (ServiceError if another process serves)
    state.start()            # APScheduler + the leadership watch
    state.status()           # ServiceStatus for /readyz and /api/v1/status
    state.wake("dispatch")   # run a job soon (after an API route enqueued notifications)
    state.stop()             # let running jobs finish (or abandon them), checkpoint, release

Every replica schedules the jobs; a job whose replica does not lead returns at once, and
a leader asks its lock connection before each run (``Leadership.confirm``), so a replica
that lost the lock starts nothing more (and lets the others try to take over first). A
new leader runs poll, sweep and dispatch at once and the check right after that first
poll: the first poll and check at start-up, and after a takeover. A job already running
when the lock goes runs to its end; overlapping the new leader's is safe (a poll's
commit locks its stream's poll state and skips stored sign-ins, the dispatcher claims
each delivery, alerts carry dedupe keys). A job that raises is logged (one secret-free
line; the traceback only at debug level), counted in
``breakglass_job_runs_total{result="error"}`` and runs again at its next time.

APScheduler settings: ``max_instances=1`` (a slow poll is never doubled), ``coalesce``
(runs missed while one was running collapse into one), a misfire grace of one interval
(at least 30 s). A job that is woken while it runs runs once more right after.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import structlog

from breakglass import metrics
from breakglass._time import utcnow
from breakglass.config import Settings
from breakglass.scheduler._jobs import JobSpec, describe_error, job_specs, prime_imports
from breakglass.scheduler._leader import Leadership, leadership_for
from breakglass.scheduler._status import JobStatus, ServiceStatus
from breakglass.store import Store

__all__ = ["ServiceState", "default_replica"]

log = structlog.get_logger("breakglass.scheduler")
_debug = logging.getLogger("breakglass.scheduler")

#: How often a leader re-checks its lock connection between jobs (seconds).
CONFIRM_EVERY = 1.0


def default_replica() -> str:
    """``host:pid``: unique among the replicas, readable in ``pg_stat_activity``."""
    return f"{socket.gethostname()}:{os.getpid()}"


class ServiceState:
    """The scheduler of one replica and what it tells the API about itself."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        replica: str | None = None,
        leadership: Leadership | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.replica = replica or default_replica()
        self.started_at = utcnow()
        self.leadership = leadership or leadership_for(store, settings.tenant.id, self.replica)
        self._specs: dict[str, JobSpec] = {s.name: s for s in job_specs(settings)}
        self._jobs = {name: JobStatus(name) for name in self._specs}
        self._lock = threading.Condition(threading.RLock())
        self._running: set[str] = set()
        self._rerun: set[str] = set()
        self._leader = False
        self._stopping = threading.Event()
        self._hurry = threading.Event()
        self._scheduler: Any = None
        self._watcher: threading.Thread | None = None
        #: The jobs that wait for this leadership's first poll (the check).
        self._after_poll: set[str] = set()
        #: A replica that just lost the lock tries again later than the others.
        self._retry_at = 0.0

    # -- what the API sees -------------------------------------------------------------

    def status(self) -> ServiceStatus:
        with self._lock:
            leader = self._leader
            jobs = dict(self._jobs)
        if leader and self._scheduler is not None:
            for job in self._scheduler.get_jobs():
                if job.id in jobs and job.next_run_time is not None:
                    jobs[job.id] = replace(jobs[job.id], next_run=job.next_run_time.astimezone(UTC))
        return ServiceStatus(
            replica=self.replica,
            leader=leader,
            leader_replica=self.replica if leader else self.leadership.holder(),
            started_at=self.started_at,
            jobs=jobs,
        )

    def wake(self, job_name: str) -> None:
        """Run ``job_name`` soon (once more right after, if it is running now).

        On a follower this does nothing: the leader's own schedule picks the work up.
        """
        if job_name not in self._specs:
            raise ValueError(f"no job {job_name!r}; the jobs are {sorted(self._specs)}")
        with self._lock:
            self._rerun.add(job_name)
            running = job_name in self._running
        if not running:
            self._run_soon(job_name)

    # -- life cycle --------------------------------------------------------------------

    def reserve(self) -> None:
        """Claim what serving needs before anything starts (SQLite: the file lock)."""
        self.leadership.reserve()

    def start(self) -> None:
        """Schedule the jobs, try to lead at once, then watch the leadership."""
        from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        from breakglass.scheduler._executor import DaemonThreadExecutor

        self.reserve()
        prime_imports()
        apscheduler_log = logging.getLogger("apscheduler")
        if apscheduler_log.level == logging.NOTSET:
            # Its per-run INFO lines and "skipped: still running" warnings are ours to say.
            apscheduler_log.setLevel(logging.ERROR)
        scheduler = BackgroundScheduler(
            executors={"default": DaemonThreadExecutor()},
            job_defaults={"max_instances": 1, "coalesce": True},
            timezone=UTC,
        )
        for spec in self._specs.values():
            scheduler.add_job(
                self._run,
                IntervalTrigger(seconds=spec.seconds, timezone=UTC),
                args=[spec.name],
                id=spec.name,
                name=spec.name,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=max(30, int(spec.seconds)),
            )
        scheduler.add_listener(self._on_skipped, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)
        scheduler.start()
        self._scheduler = scheduler
        metrics.set_leader(False)
        if self.leadership.try_acquire():
            self._gain()
        else:
            log.info("scheduler.follower", replica=self.replica, leader=self.leadership.holder())
        self._watcher = threading.Thread(
            target=self._watch, name="breakglass-leadership", daemon=True
        )
        self._watcher.start()

    def stop(self, *, grace: float = 20.0, checkpoint: bool = True) -> bool:
        """Stop scheduling; wait up to ``grace`` seconds for running jobs, then abandon
        them; write a checkpoint if this replica leads; give the leadership up.

        Returns False when a job was abandoned (nothing is lost: see the executor).
        """
        with self._lock:
            self._stopping.set()
        if self._watcher is not None:
            self._watcher.join(timeout=CONFIRM_EVERY + 10)
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        deadline = time.monotonic() + grace
        with self._lock:
            while self._running and not self._hurry.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._lock.wait(min(left, 0.25))
            abandoned = sorted(self._running)
        if abandoned:
            log.warning(
                "scheduler.jobs_abandoned",
                jobs=abandoned,
                note="nothing is lost: a poll commits its sign-ins and watermark together, "
                "so the next poll reads the same window again",
            )
        if checkpoint and self._leader and self._confirm():
            self._execute(self._specs["checkpoint"])
        with self._lock:
            self._leader = False
        self.leadership.release()
        metrics.set_leader(False)
        log.info("scheduler.stopped", replica=self.replica, abandoned=abandoned)
        return not abandoned

    def hurry(self) -> None:
        """Stop waiting for running jobs (a second SIGTERM/SIGINT during shutdown)."""
        self._hurry.set()
        with self._lock:
            self._lock.notify_all()

    # -- leadership --------------------------------------------------------------------

    def _watch(self) -> None:
        retry = self.settings.service.leader_retry_seconds
        tick = min(CONFIRM_EVERY, retry)
        next_try = time.monotonic() + retry
        while not self._stopping.wait(tick):
            if self._leader:
                if not self._confirm():
                    next_try = time.monotonic() + retry
                continue
            if time.monotonic() >= max(next_try, self._retry_at):
                next_try = time.monotonic() + retry
                if self.leadership.try_acquire() and not self._stopping.is_set():
                    self._gain()

    def _confirm(self) -> bool:
        """Whether this replica still leads; a lost lock stops it leading at once."""
        if not self._leader:
            return False
        if self.leadership.confirm():
            return True
        with self._lock:
            was, self._leader = self._leader, False
        # Its own connection failed: let a healthy replica take over first.
        self._retry_at = time.monotonic() + 2 * self.settings.service.leader_retry_seconds
        metrics.set_leader(False)
        if was:
            log.error(
                "scheduler.leadership_lost",
                replica=self.replica,
                reason="the lock connection to the database failed; no job starts here "
                "until this replica leads again",
            )
        return False

    def _gain(self) -> None:
        with self._lock:
            self._leader = True
        metrics.set_leader(True)
        log.info("scheduler.leader", replica=self.replica)
        with self._lock:
            self._after_poll = {s.name for s in self._specs.values() if s.first_run == "after_poll"}
        for spec in self._specs.values():
            if spec.first_run == "at_once":
                self._run_soon(spec.name)

    # -- running jobs ------------------------------------------------------------------

    def _run_soon(self, name: str) -> None:
        scheduler = self._scheduler
        if scheduler is None or self._stopping.is_set() or not self._leader:
            return
        from apscheduler.jobstores.base import JobLookupError
        from apscheduler.schedulers import SchedulerNotRunningError

        with contextlib.suppress(JobLookupError, SchedulerNotRunningError):  # stopping
            scheduler.modify_job(name, next_run_time=datetime.now(UTC))

    def _run(self, name: str) -> None:
        """One scheduled run (and the reruns asked for while it ran), on the leader only."""
        spec = self._specs[name]
        while self._confirm():
            with self._lock:  # stop() sets _stopping under this lock: no run slips past it
                if self._stopping.is_set():
                    return
                self._rerun.discard(name)
                self._running.add(name)
            self._execute(spec)
            with self._lock:
                if name not in self._rerun:
                    return

    def _execute(self, spec: JobSpec) -> None:
        with self._lock:
            self._jobs[spec.name] = replace(self._jobs[spec.name], last_started=utcnow())
        started = time.monotonic()
        result, error, wake = "error", None, False
        try:
            outcome = spec.run(self.store, self.settings)
        except Exception as exc:  # logged and counted; the job runs again at its next time
            error = describe_error(exc)
            log.error("job.failed", job=spec.name, error=error)
            _debug.debug("job %s failed", spec.name, exc_info=True)
        else:
            result, error, wake = outcome.result, outcome.error, outcome.wake_dispatch
            fields = {"job": spec.name, "result": result, **outcome.summary}
            if error:
                log.warning("job.partial", error=error, **fields)
            elif outcome.notable:
                log.info("job.finished", seconds=round(time.monotonic() - started, 3), **fields)
            else:
                log.debug("job.finished", **fields)
        finally:
            metrics.record_job(spec.name, result, time.monotonic() - started)
            with self._lock:
                self._running.discard(spec.name)
                self._jobs[spec.name] = replace(
                    self._jobs[spec.name],
                    last_finished=utcnow(),
                    last_ok=result == "ok",
                    last_error=error,
                )
                self._lock.notify_all()
                waiting = self._after_poll if spec.name == "poll" else set()
                self._after_poll = self._after_poll - waiting
        if wake:
            self.wake("dispatch")
        for name in sorted(waiting):
            self._run_soon(name)

    def _on_skipped(self, event: Any) -> None:
        log.debug("job.skipped", job=event.job_id, reason="still running or missed its time")
