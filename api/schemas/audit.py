"""The audit log: entries, verification, the latest stored checkpoint."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

__all__ = [
    "AuditEntryOut",
    "AuditProblemOut",
    "AuditVerifyOut",
    "CheckpointOut",
    "CheckpointResultOut",
]


class AuditEntryOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    data: dict[str, Any]
    prev_hash: str
    entry_hash: str


class CheckpointResultOut(BaseModel):
    source: str = Field(description="The checkpoint file's name, or the stored checkpoint.")
    external: bool
    size: int | None
    ok: bool


class AuditProblemOut(BaseModel):
    seq: int | None
    kind: str
    reason: str


class AuditVerifyOut(BaseModel):
    ok: bool
    size: int
    head: str
    checkpoints: list[CheckpointResultOut]
    problems: list[AuditProblemOut]
    notes: list[str]


class CheckpointOut(BaseModel):
    id: int
    size: int
    root: str
    at: datetime
    text: str = Field(description="The signed checkpoint (C2SP tlog-checkpoint text).")
