"""What a channel sends (``Notification``) and how a send fails (``DeliveryError``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from breakglass.errors import BreakglassError
from breakglass.notify._view import EventView

__all__ = ["DELIVERY_HEADER", "IDEMPOTENCY_HEADER", "DeliveryError", "Notification"]

#: ``<outbox_id>:<channel>``: stable across retries, so receivers can drop a resend.
DELIVERY_HEADER = "X-Breakglass-Delivery"
#: The same value under the conventional name some receivers already dedupe on.
IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Notification:
    """One outbox entry rendered for one channel."""

    outbox_id: int
    channel: str
    tenant_id: str
    event_type: str
    severity: str
    subject: str
    created_at: datetime
    payload: dict[str, Any]
    #: Plain-text body (email text part, chat message text).
    text: str
    #: HTML body (email HTML part); autoescaped.
    html: str
    #: What every channel shows (Teams and Slack cards are built from it).
    view: EventView

    @property
    def delivery_id(self) -> str:
        return f"{self.outbox_id}:{self.channel}"


class DeliveryError(BreakglassError):
    """A channel did not accept a notification. The message never contains a secret."""

    def __init__(
        self, message: str, *, likely_config: bool = False, retry_after: float | None = None
    ) -> None:
        #: The receiver refused in a way a retry is unlikely to fix (401/403/404, bad login).
        self.likely_config = likely_config
        #: Seconds the receiver asked us to wait (``Retry-After``), if any.
        self.retry_after = retry_after
        super().__init__(message)
