"""``GET /status``: this replica, the leader, the watcher, the last check, the outbox."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from .findings import RunOut

__all__ = ["JobOut", "LeaderOut", "StatusOut", "StreamOut"]


class LeaderOut(BaseModel):
    """Who runs the scheduled jobs. ``known`` is false for an app without a scheduler."""

    known: bool
    replica: str | None = Field(None, description="This replica (host:pid).")
    leader: bool | None = Field(None, description="Whether this replica runs the jobs.")
    leader_replica: str | None = Field(None, description="The replica that runs them.")


class JobOut(BaseModel):
    name: str
    last_started: datetime | None
    last_finished: datetime | None
    last_ok: bool | None
    last_error: str | None
    next_run: datetime | None


class StreamOut(BaseModel):
    """One sign-in stream of the watcher."""

    stream: str
    blind: bool
    last_success_at: datetime | None
    consecutive_failures: int
    problem: str


class StatusOut(BaseModel):
    leader: LeaderOut
    last_poll_at: datetime | None = Field(description="Latest successful poll of any stream.")
    next_poll_at: datetime | None = Field(description="From this replica's scheduler (leader).")
    streams: list[StreamOut]
    last_check_run: RunOut | None
    next_check_at: datetime | None
    outbox: dict[str, int] = Field(
        description="Deliveries by status: pending, sending, sent, dead."
    )
    jobs: list[JobOut]
    versions: dict[str, str]
