"""``GET /accounts`` and ``GET /accounts/{id}``: the declared emergency accounts and how
each one is doing."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from .findings import FindingOut
from .signins import SignInOut

__all__ = ["AccountDetailOut", "AccountOut", "CustodianOut", "RotationOut", "ValidationOut"]


class CustodianOut(BaseModel):
    """Who holds the account's credential (contact details stay in the runbook)."""

    name: str
    role: str | None


class AccountOut(BaseModel):
    id: str = Field(description="Entra object id.")
    upn: str
    display_name: str | None
    health: str = Field(description="healthy, at risk or not checked (latest check run).")
    worst_severity: str | None = Field(description="Most severe failing finding, if any.")
    last_signin_at: datetime | None
    last_signin_success: bool | None
    open_reviews: int


class ValidationOut(BaseModel):
    """When the account was last shown to work (BG-009)."""

    last_drill: date | None = Field(description="Day of the latest closed drill review.")
    finding_status: str | None = Field(description="BG-009 in the latest run.")
    message: str | None


class RotationOut(BaseModel):
    """Whether the credential was rotated after its last use (BG-008)."""

    finding_status: str | None = Field(description="BG-008 in the latest run.")
    message: str | None
    waiver_until: datetime | None = Field(
        description="End of the latest session closed on a rotation waiver (drills)."
    )
    awaiting_rotation: list[int] = Field(
        description="Approved reviews of this account that close once it is rotated."
    )


class AccountDetailOut(AccountOut):
    custodians: list[CustodianOut]
    findings: list[FindingOut] = Field(description="Every finding about it in the latest run.")
    last_signin: SignInOut | None
    validation: ValidationOut
    rotation: RotationOut
