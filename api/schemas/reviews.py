"""After-action reviews: the queue, one review, and the bodies of its transitions.

The actor of every transition is the authenticated caller; no body carries a name for it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from .common import AccountRef, In
from .signins import SignInOut

__all__ = [
    "CloseIn",
    "EventOut",
    "ReopenIn",
    "ReviewDetailOut",
    "ReviewOut",
    "SubmitIn",
    "TransitionIn",
]

Text = Annotated[str, Field(min_length=1, max_length=4000)]


class ReviewOut(BaseModel):
    id: int
    kind: str = Field(description="usage (a successful sign-in) or attempt (failed only).")
    state: str = Field(description="open, submitted, approved or closed.")
    account: AccountRef
    opened_at: datetime
    due_at: datetime | None = Field(description="Submission (open) or approval (submitted).")
    overdue: bool
    signin_ids: list[str]
    evidence_count: int
    classification: str | None


class EventOut(BaseModel):
    at: datetime
    actor: str
    actor_id: str | None
    action: str
    from_state: str | None
    to_state: str
    reason: str | None


class ReviewDetailOut(ReviewOut):
    window: dict[str, datetime | None] = Field(description="First and last sign-in.")
    submit_due_at: datetime | None
    approve_due_at: datetime | None
    session: dict[str, Any] | None
    operator: str | None
    justification: str | None
    actions: str | None
    root_cause: str | None
    follow_ups: list[str]
    ticket: str | None
    submitted_by: str | None
    submitted_by_id: str | None
    submitted_at: datetime | None
    approved_by: str | None
    approved_by_id: str | None
    approved_at: datetime | None
    closed_by: str | None
    closed_by_id: str | None
    closed_at: datetime | None
    drill_window_id: int | None
    rotation: dict[str, Any] | None = Field(description="Rotation proof or recorded waiver.")
    evidence_sha256: str | None
    evidence_window: dict[str, Any] | None
    evidence_frozen_at: datetime | None
    evidence: list[dict[str, Any]] = Field(description="Directory audits of the session.")
    evidence_summary: list[dict[str, Any]]
    signins: list[SignInOut]
    events: list[EventOut]


class SubmitIn(In):
    """The operator's account of the session (``POST /reviews/{id}/submit``)."""

    operator: str = Field(
        min_length=1,
        max_length=255,
        description="Who used the account (may differ from the caller).",
    )
    classification: Literal["drill", "emergency", "misuse", "false_positive"]
    justification: Text
    actions: str = Field(min_length=1, max_length=4000, description="What was done with it.")
    root_cause: Text
    follow_ups: list[str] = Field(default_factory=list, max_length=50)
    ticket: str | None = Field(None, max_length=255)


class TransitionIn(In):
    """``approve`` takes no fields: the approver is the caller."""


class ReopenIn(In):
    comment: str = Field(min_length=1, max_length=4000, description="Why it goes back.")


class CloseIn(In):
    waiver_reason: str | None = Field(
        None,
        min_length=1,
        max_length=4000,
        description="Close without a rotation: only drills in a pre-registered window and "
        "false_positive attempts. Without it the account is read now for the rotation proof.",
    )
