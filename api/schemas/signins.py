"""``GET /signins``: stored sign-ins of the emergency accounts."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from .common import AccountRef

__all__ = ["SignInOut"]


class SignInOut(BaseModel):
    id: str
    account: AccountRef | None = None
    created_at: datetime
    success: bool
    error_code: int | None
    failure_reason: str | None
    interactive: bool | None
    ip_address: str | None
    location: str | None
    app: str | None
    client_app: str | None
    review_id: int | None = None
