"""What the API routers share: the role each route needs, the scheduler nudge."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from breakglass.access import Principal
from breakglass.config import AccessRole

from ..auth import require

__all__ = ["MAX_ID", "Admin", "Approver", "Id", "Operator", "Viewer"]

#: Stored ids are signed 64-bit integers (SQLite INTEGER, PostgreSQL BIGINT).
MAX_ID = 2**63 - 1
#: An object id in a path: a larger number is refused (422) before it reaches the database,
#: whose driver would fail on it (a 500).
Id = Annotated[int, Path(ge=1, le=MAX_ID)]

#: Every authenticated principal with a role reads.
Viewer = Annotated[Principal, require(AccessRole.VIEWER)]
#: Submits reviews, runs the checks, schedules drills.
Operator = Annotated[Principal, require(AccessRole.OPERATOR)]
#: Approves, reopens and closes reviews.
Approver = Annotated[Principal, require(AccessRole.APPROVER)]
#: Builds runbooks, manages API tokens, tests notifications and re-queues dead deliveries.
Admin = Annotated[Principal, require(AccessRole.ADMIN)]
