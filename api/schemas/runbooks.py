"""Signed runbook releases, building one, and verifying an uploaded PDF."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from .common import In

__all__ = ["ProblemOut", "RunbookBuildIn", "RunbookBuiltOut", "RunbookOut", "VerificationOut"]


class RunbookOut(BaseModel):
    id: int
    doc_id: str
    version: str
    issued_at: datetime
    valid_until: datetime
    recorded_at: datetime
    content_sha256: str
    inventory_fingerprint: str
    signed_pdf_sha256: str
    signer_fingerprint: str
    available: bool = Field(description="This replica has the signed PDF to download.")
    pdf: str = Field(description="Where to download the signed PDF.")
    manifest: str = Field(description="Where to download its signed manifest.")


class RunbookBuiltOut(RunbookOut):
    warnings: list[str]


class RunbookBuildIn(In):
    """``POST /runbooks`` reads the tenant live and signs with the configured key."""


class ProblemOut(BaseModel):
    code: str
    message: str


class VerificationOut(BaseModel):
    """What ``breakglass runbook verify`` says about the uploaded file."""

    ok: bool
    problems: list[ProblemOut]
    notes: list[str]
    trust: str | None
    signer_fingerprint: str | None
    signer_subject: str | None
    signed_at: datetime | None
    manifest: dict[str, str | None] = Field(description="The manifest's release facts.")
