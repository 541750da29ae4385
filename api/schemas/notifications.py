"""The outbox and its deliveries per channel. A channel is named with its kind only: its
URL, password or HMAC key never appears here."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from .common import In

__all__ = [
    "DeliveryOut",
    "NotificationOut",
    "OutcomeOut",
    "RetryIn",
    "RetryOut",
    "TestIn",
    "TestOut",
]


class DeliveryOut(BaseModel):
    id: int
    channel: str
    kind: str | None = Field(description="smtp, teams, slack or webhook; null if unconfigured.")
    status: str = Field(description="pending, sending, sent or dead.")
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    last_error: str | None


class NotificationOut(BaseModel):
    id: int
    created_at: datetime
    event_type: str
    severity: str
    subject: str
    state: str = Field(description="waiting (no channel yet), or its least finished delivery.")
    deliveries: list[DeliveryOut]


class RetryIn(In):
    channel: str | None = Field(None, max_length=64, description="Only this channel's delivery.")


class RetryOut(BaseModel):
    id: int
    requeued: list[str] = Field(description="Channels whose dead delivery is queued again.")


class TestIn(In):
    channel: str | None = Field(None, max_length=64, description="Only this channel.")


class OutcomeOut(BaseModel):
    channel: str
    status: str = Field(description="sent, retry, dead or claim_lost.")
    attempts: int
    error: str | None


class TestOut(BaseModel):
    id: int = Field(description="The test notification's outbox id.")
    ok: bool
    outcomes: list[OutcomeOut]
