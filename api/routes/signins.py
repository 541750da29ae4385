"""``GET /api/v1/signins``: the stored sign-ins of the emergency accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from breakglass import reviews

from ..deps import SessionDep, SettingsDep
from ..pagination import PageDep
from ..problems import Problem
from ..schemas import Page
from ..schemas.signins import SignInOut
from ._common import Viewer

__all__ = ["router"]

router = APIRouter(tags=["signins"])
_SCOPE = "signins"


@router.get("/signins", response_model=Page[SignInOut], summary="Emergency-account sign-ins")
def signins(
    _: Viewer,
    session: SessionDep,
    settings: SettingsDep,
    page: PageDep,
    account: Annotated[
        str | None, Query(max_length=255, description="Object id or UPN of the account.")
    ] = None,
    since: Annotated[
        AwareDatetime | None, Query(description="From (inclusive, with zone).")
    ] = None,
    until: Annotated[AwareDatetime | None, Query(description="Before (exclusive).")] = None,
    result: Annotated[Literal["success", "failure"] | None, Query()] = None,
) -> Page[SignInOut]:
    """Newest first (by sign-in time, then arrival), as the watcher stored them."""
    key = page.key(_SCOPE, str, int)
    before = None
    if key is not None:
        try:
            before = (datetime.fromisoformat(key[0]), key[1])
        except ValueError:
            raise Problem(400, "the 'next' cursor is malformed", type_="invalid-cursor") from None
    rows = reviews.list_signins(
        session,
        settings,
        account=account,
        since=since,
        until=until,
        success=None if result is None else result == "success",
        before=before,
        limit=page.fetch,
    )
    items, cursor = page.page(_SCOPE, rows, lambda r: [r[1]["created_at"], r[0]])
    return Page(items=[SignInOut.model_validate(view) for _, view in items], next=cursor)
