"""What the API routers share: the role each route needs, the scheduler nudge."""

from __future__ import annotations

from typing import Annotated

from breakglass.access import Principal
from breakglass.config import AccessRole

from ..auth import require
from ..deps import MAX_ID, Id

__all__ = ["MAX_ID", "Admin", "Approver", "Id", "Operator", "Viewer"]


#: Every authenticated principal with a role reads.
Viewer = Annotated[Principal, require(AccessRole.VIEWER)]
#: Submits reviews, runs the checks, schedules drills.
Operator = Annotated[Principal, require(AccessRole.OPERATOR)]
#: Approves, reopens and closes reviews.
Approver = Annotated[Principal, require(AccessRole.APPROVER)]
#: Builds runbooks, manages API tokens, tests notifications and re-queues dead deliveries.
Admin = Annotated[Principal, require(AccessRole.ADMIN)]
