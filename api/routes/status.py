"""``GET /api/v1/status``: leadership, the watcher, the last check run, the outbox."""

from __future__ import annotations

import platform
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request

from breakglass import notify
from breakglass._time import utcnow
from breakglass.store.runs import latest_run
from breakglass.watcher import streams_health

from ..deps import SessionDep, SettingsDep
from ..schemas.findings import RunOut
from ..schemas.status import JobOut, LeaderOut, StatusOut, StreamOut
from ._common import Viewer

__all__ = ["router"]

router = APIRouter(tags=["status"])


def _leader(service: Any | None) -> tuple[LeaderOut, list[JobOut]]:
    if service is None:
        return LeaderOut(known=False), []
    status = service.status()
    jobs = [
        JobOut(
            name=job.name,
            last_started=job.last_started,
            last_finished=job.last_finished,
            last_ok=job.last_ok,
            last_error=job.last_error,
            next_run=job.next_run,
        )
        for job in status.jobs.values()
    ]
    leader = LeaderOut(
        known=True,
        replica=status.replica,
        leader=status.leader,
        leader_replica=status.leader_replica,
    )
    return leader, jobs


def _next(jobs: list[JobOut], name: str) -> datetime | None:
    return next((j.next_run for j in jobs if j.name == name), None)


@router.get("/status", response_model=StatusOut, summary="Service and watcher status")
def status(request: Request, _: Viewer, session: SessionDep, settings: SettingsDep) -> StatusOut:
    """Who leads, when the sign-ins were last and will next be polled, the last check run,
    the outbox backlog and the versions. Without a scheduler (an API-only app) the leader
    is unknown and no next times are given."""
    leader, jobs = _leader(getattr(request.app.state, "service", None))
    streams = streams_health(session, settings, utcnow())
    polled = [s.last_success_at for s in streams if s.last_success_at is not None]
    run = latest_run(session=session, tenant_id=settings.tenant.id)
    return StatusOut(
        leader=leader,
        last_poll_at=max(polled, default=None),
        next_poll_at=_next(jobs, "poll"),
        streams=[
            StreamOut(
                stream=s.stream,
                blind=s.blind,
                last_success_at=s.last_success_at,
                consecutive_failures=s.consecutive_failures,
                problem=s.problem,
            )
            for s in streams
        ],
        last_check_run=None if run is None else RunOut.model_validate(run, from_attributes=True),
        next_check_at=_next(jobs, "check"),
        outbox=notify.backlog(session, settings),
        jobs=jobs,
        versions={
            "breakglass": request.app.version,
            "api": "v1",
            "python": platform.python_version(),
        },
    )
