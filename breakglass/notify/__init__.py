"""Notifications (DESIGN §10): a transactional outbox, a dispatcher and four channels.

An event and its notifications commit together (``enqueue``, with ``channels_for`` to
route by event type); ``dispatch_once`` / ``run_dispatcher`` deliver each entry to each
channel at least once, with retries and backoff, and record the outcome per channel.
Channels: SMTP (STARTTLS), Microsoft Teams and Slack incoming webhooks, and a generic
JSON webhook signed with HMAC-SHA256 (``verify_webhook_signature`` for receivers).
Bodies come from ``templates/notify/``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from breakglass.notify._message import (
        DELIVERY_HEADER,
        IDEMPOTENCY_HEADER,
        DeliveryError,
        Notification,
    )
    from breakglass.notify.dispatcher import (
        DeliveryOutcome,
        DispatchResult,
        backoff_delay,
        dispatch_once,
        run_dispatcher,
    )
    from breakglass.notify.outbox import channels_for, enqueue
    from breakglass.notify.signature import (
        SIGNATURE_HEADER,
        TIMESTAMP_HEADER,
        sign_webhook,
        verify_webhook_signature,
    )

__all__ = [
    "DELIVERY_HEADER",
    "IDEMPOTENCY_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "DeliveryError",
    "DeliveryOutcome",
    "DispatchResult",
    "Notification",
    "backoff_delay",
    "channels_for",
    "dispatch_once",
    "enqueue",
    "run_dispatcher",
    "sign_webhook",
    "verify_webhook_signature",
]

# Submodules load on first use (PEP 562): code that only enqueues (the sign-in watcher,
# reviews) must not pay for httpx, smtplib and Jinja2.
_LAZY = {
    "DELIVERY_HEADER": "breakglass.notify._message",
    "DeliveryError": "breakglass.notify._message",
    "DeliveryOutcome": "breakglass.notify.dispatcher",
    "DispatchResult": "breakglass.notify.dispatcher",
    "IDEMPOTENCY_HEADER": "breakglass.notify._message",
    "Notification": "breakglass.notify._message",
    "SIGNATURE_HEADER": "breakglass.notify.signature",
    "TIMESTAMP_HEADER": "breakglass.notify.signature",
    "backoff_delay": "breakglass.notify.dispatcher",
    "channels_for": "breakglass.notify.outbox",
    "dispatch_once": "breakglass.notify.dispatcher",
    "enqueue": "breakglass.notify.outbox",
    "run_dispatcher": "breakglass.notify.dispatcher",
    "sign_webhook": "breakglass.notify.signature",
    "verify_webhook_signature": "breakglass.notify.signature",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
