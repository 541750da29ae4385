"""``/api/v1/drills``: pre-registered drill windows."""

from __future__ import annotations

from fastapi import APIRouter

from breakglass import reviews
from breakglass._time import utcnow
from breakglass.reviews import TransitionRefusedError

from ..deps import SessionDep, SettingsDep, StoreDep
from ..pagination import PageDep
from ..problems import Problem
from ..schemas import Page
from ..schemas.drills import DrillIn, DrillOut
from ._common import Operator, Viewer

__all__ = ["router"]

router = APIRouter(tags=["drills"])
_SCOPE = "drills"


@router.get("/drills", response_model=Page[DrillOut], summary="Drill windows")
def drills(_: Viewer, session: SessionDep, settings: SettingsDep, page: PageDep) -> Page[DrillOut]:
    """Registered drill windows, newest first."""
    key = page.key(_SCOPE, int)
    rows = reviews.drill_windows(
        session, settings, before_id=key[0] if key else None, limit=page.fetch
    )
    items, cursor = page.page(_SCOPE, rows, lambda r: [r["id"]])
    return Page(items=[DrillOut.model_validate(r) for r in items], next=cursor)


@router.post(
    "/drills", response_model=DrillOut, status_code=201, summary="Schedule a drill (operator)"
)
def schedule(
    body: DrillIn, principal: Operator, store: StoreDep, settings: SettingsDep
) -> DrillOut:
    """Register a drill window before the drill: sign-ins of the account (or of every
    account, ``all``) inside it open reviews classified as drills, which may close on a
    rotation waiver. A window registered after a sign-in does not cover it. An account
    that is not declared, an end not after the start or a blank reason: 422."""
    with store.transaction() as session:
        try:
            window_id = reviews.schedule_drill(
                session,
                settings,
                account=body.account,
                starts=body.starts,
                ends=body.ends,
                actor=principal.name,
                actor_id=principal.id,
                reason=body.reason,
                now=utcnow(),
            )
        except TransitionRefusedError as exc:
            # Every refusal of schedule_drill is about the window asked for, not a state.
            raise Problem(422, str(exc), type_="invalid-drill") from None
        (row,) = reviews.drill_windows(session, settings, window_id=window_id, limit=1)
    return DrillOut.model_validate(row)
