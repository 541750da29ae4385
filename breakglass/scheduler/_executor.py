"""An APScheduler executor that runs each job in a daemon thread of its own.

APScheduler's thread pool uses ``concurrent.futures``, whose worker threads the
interpreter joins at exit: a poll stuck on a slow Graph would then hold a stopping
process past its shutdown grace. A daemon thread lets ``serve`` abandon the poll instead,
which loses nothing: the poll's sign-ins, reviews and watermark commit together, so the
next poll (here or on the next leader) reads the same window again. The jobs are few and
run seconds apart, so one short-lived thread per run costs nothing worth pooling.
"""

from __future__ import annotations

import threading
from typing import Any

from apscheduler.executors.base import BaseExecutor, run_job

__all__ = ["DaemonThreadExecutor"]


class DaemonThreadExecutor(BaseExecutor):  # type: ignore[misc]  # APScheduler is untyped
    def _do_submit_job(self, job: Any, run_times: list[Any]) -> None:
        def run() -> None:
            try:
                events = run_job(job, job._jobstore_alias, run_times, self._logger.name)
            except BaseException as exc:
                self._run_job_error(job.id, exc, exc.__traceback__)
            else:
                self._run_job_success(job.id, events)

        threading.Thread(target=run, name=f"breakglass-{job.id}", daemon=True).start()
