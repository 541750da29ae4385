"""Service API tokens (admin). A token is shown once, in the answer that creates it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from breakglass.config import AccessRole

from .common import In

__all__ = ["TokenCreatedOut", "TokenIn", "TokenOut"]


class TokenIn(In):
    name: str = Field(min_length=1, max_length=100)
    role: AccessRole
    expires_days: int | None = Field(None, ge=1, le=3650)


class TokenOut(BaseModel):
    id: int
    name: str
    role: AccessRole
    prefix: str = Field(description="The token's first characters, to recognise it.")
    state: str = Field(description="active, expired or revoked.")
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The token itself: shown this once, stored only as a hash.")
