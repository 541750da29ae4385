"""Pre-registered drill windows: sign-ins inside one open reviews classified as drills."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field

from .common import AccountRef, In

__all__ = ["DrillIn", "DrillOut"]


class DrillIn(In):
    account: str = Field(
        min_length=1, max_length=255, description="UPN or object id of a declared account, or all."
    )
    starts: AwareDatetime
    ends: AwareDatetime
    reason: str = Field(min_length=1, max_length=2000)


class DrillOut(BaseModel):
    id: int
    account: AccountRef | None = Field(description="Null: every emergency account.")
    starts_at: datetime
    ends_at: datetime
    created_by: str
    created_at: datetime
    reason: str
