"""Findings of the checks and the runs that produced them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from .common import In

__all__ = ["FindingOut", "RunDetailOut", "RunIn", "RunOut"]


class FindingOut(BaseModel):
    id: int
    check_id: str
    title: str
    status: str = Field(description="pass, fail, error, skipped or accepted.")
    severity: str
    resource_type: str
    resource_id: str
    resource_name: str | None
    message: str
    remediation: str


class RunOut(BaseModel):
    id: int
    started_at: datetime
    finished_at: datetime
    complete: bool = Field(description="Every check could be evaluated (no error).")
    summary: dict[str, int] = Field(description="Findings by status.")


class RunDetailOut(RunOut):
    findings: list[FindingOut]


class RunIn(In):
    """``POST /runs`` takes no options: it runs the whole catalog against the tenant now."""
