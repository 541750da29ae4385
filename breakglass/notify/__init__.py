"""Notifications (DESIGN §10): a transactional outbox, a dispatcher and four channels.

One way in: ``publish(session, settings, event_type=…, …)`` queues an event in the
caller's transaction, routed by ``channels_for`` (the one routing rule), so the event and
its notifications commit together. ``dispatch_once`` / ``run_dispatcher`` deliver each
entry to each channel at least once, with retries and backoff, and record the outcome per
channel; they take a session factory (``store.session_factory``) from their caller and never open
the database. Channels: SMTP (STARTTLS), Microsoft Teams and Slack incoming webhooks, and
a generic JSON webhook signed with HMAC-SHA256 (``verify_webhook_signature`` for
receivers).

What an alert says is one contract (``EVENT_CONTRACTS``): per event type a payload
``TypedDict`` that the producers build with ``signin_payload``, ``review_payload``,
``monitor_blind_payload`` and ``monitor_recovered_payload``; ``event_view`` turns a payload
into the ``EventView`` that the e-mail templates (``templates/notify/``), the Teams
Adaptive Card and the Slack blocks all render. Events raised while no channel takes them
are kept and delivered once one does. Errors are scrubbed of every secret
field of the channel settings (``CHANNEL_SECRET_FIELDS``, derived from the settings type).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from breakglass._lazy import lazy_exports

if TYPE_CHECKING:
    from breakglass.notify._channels import ChannelState, channel_states
    from breakglass.notify._dispatcher import (
        BACKOFF_BASE,
        BACKOFF_CAP,
        DeliveryOutcome,
        DispatchResult,
        SessionFactory,
        backoff_delay,
        default_lease,
        dispatch_once,
        run_dispatcher,
    )
    from breakglass.notify._events import (
        EVENT_CONTRACTS,
        Change,
        EventContract,
        EvidenceWindow,
        MonitorBlindPayload,
        MonitorRecoveredPayload,
        ReviewPayload,
        SignInPayload,
        SignInSummary,
        contract_problems,
        monitor_blind_payload,
        monitor_recovered_payload,
        review_payload,
        signin_payload,
        signin_summary,
    )
    from breakglass.notify._ledger import (
        DeliveryState,
        OutboxEntry,
        backlog,
        notifications,
        publish_test,
        requeue_dead,
    )
    from breakglass.notify._message import (
        DELIVERY_HEADER,
        IDEMPOTENCY_HEADER,
        DeliveryError,
        Notification,
    )
    from breakglass.notify._outbox import ESCALATION_EVENT, channels_for, publish
    from breakglass.notify._render import RenderError
    from breakglass.notify._scrub import CHANNEL_SECRET_FIELDS, channel_secrets, scrub
    from breakglass.notify._signature import (
        SIGNATURE_HEADER,
        TIMESTAMP_HEADER,
        sign_webhook,
        verify_webhook_signature,
    )
    from breakglass.notify._view import EventView, event_view

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "CHANNEL_SECRET_FIELDS",
    "DELIVERY_HEADER",
    "ESCALATION_EVENT",
    "EVENT_CONTRACTS",
    "IDEMPOTENCY_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Change",
    "ChannelState",
    "DeliveryError",
    "DeliveryOutcome",
    "DeliveryState",
    "DispatchResult",
    "EventContract",
    "EventView",
    "EvidenceWindow",
    "MonitorBlindPayload",
    "MonitorRecoveredPayload",
    "Notification",
    "OutboxEntry",
    "RenderError",
    "ReviewPayload",
    "SessionFactory",
    "SignInPayload",
    "SignInSummary",
    "backlog",
    "backoff_delay",
    "channel_secrets",
    "channel_states",
    "channels_for",
    "contract_problems",
    "default_lease",
    "dispatch_once",
    "event_view",
    "monitor_blind_payload",
    "monitor_recovered_payload",
    "notifications",
    "publish",
    "publish_test",
    "requeue_dead",
    "review_payload",
    "run_dispatcher",
    "scrub",
    "sign_webhook",
    "signin_payload",
    "signin_summary",
    "verify_webhook_signature",
]

# Submodules load on first use (PEP 562): code that only publishes (the sign-in watcher,
# reviews) must not pay for httpx, smtplib and Jinja2.
_LAZY = {
    "ChannelState": "breakglass.notify._channels",
    "channel_states": "breakglass.notify._channels",
    "BACKOFF_BASE": "breakglass.notify._dispatcher",
    "BACKOFF_CAP": "breakglass.notify._dispatcher",
    "DeliveryOutcome": "breakglass.notify._dispatcher",
    "DispatchResult": "breakglass.notify._dispatcher",
    "SessionFactory": "breakglass.notify._dispatcher",
    "backoff_delay": "breakglass.notify._dispatcher",
    "default_lease": "breakglass.notify._dispatcher",
    "dispatch_once": "breakglass.notify._dispatcher",
    "run_dispatcher": "breakglass.notify._dispatcher",
    "EVENT_CONTRACTS": "breakglass.notify._events",
    "Change": "breakglass.notify._events",
    "EventContract": "breakglass.notify._events",
    "EvidenceWindow": "breakglass.notify._events",
    "MonitorBlindPayload": "breakglass.notify._events",
    "MonitorRecoveredPayload": "breakglass.notify._events",
    "ReviewPayload": "breakglass.notify._events",
    "SignInPayload": "breakglass.notify._events",
    "SignInSummary": "breakglass.notify._events",
    "contract_problems": "breakglass.notify._events",
    "monitor_blind_payload": "breakglass.notify._events",
    "monitor_recovered_payload": "breakglass.notify._events",
    "review_payload": "breakglass.notify._events",
    "signin_payload": "breakglass.notify._events",
    "signin_summary": "breakglass.notify._events",
    "RenderError": "breakglass.notify._render",
    "DeliveryState": "breakglass.notify._ledger",
    "OutboxEntry": "breakglass.notify._ledger",
    "backlog": "breakglass.notify._ledger",
    "notifications": "breakglass.notify._ledger",
    "publish_test": "breakglass.notify._ledger",
    "requeue_dead": "breakglass.notify._ledger",
    "EventView": "breakglass.notify._view",
    "event_view": "breakglass.notify._view",
    "DELIVERY_HEADER": "breakglass.notify._message",
    "DeliveryError": "breakglass.notify._message",
    "IDEMPOTENCY_HEADER": "breakglass.notify._message",
    "Notification": "breakglass.notify._message",
    "ESCALATION_EVENT": "breakglass.notify._outbox",
    "channels_for": "breakglass.notify._outbox",
    "publish": "breakglass.notify._outbox",
    "CHANNEL_SECRET_FIELDS": "breakglass.notify._scrub",
    "channel_secrets": "breakglass.notify._scrub",
    "scrub": "breakglass.notify._scrub",
    "SIGNATURE_HEADER": "breakglass.notify._signature",
    "TIMESTAMP_HEADER": "breakglass.notify._signature",
    "sign_webhook": "breakglass.notify._signature",
    "verify_webhook_signature": "breakglass.notify._signature",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
