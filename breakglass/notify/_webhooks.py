"""HTTP channels: Microsoft Teams, Slack and the generic signed JSON webhook.

* Teams: an Adaptive Card message (``{"type": "message", "attachments": [card]}``), the
  shape both Teams Workflows ("When a Teams webhook request is received") and the older
  Office 365 connector incoming webhooks accept: a coloured headline, a FactSet with every
  fact of the alert's view, its lists and "What to do".
* Slack: an incoming-webhook message ``{"text": fallback, "blocks": [...]}``: header, lead,
  the facts as section fields, the lists and "What to do".
* Generic: a JSON document with the event, signed as ``breakglass.notify._signature``
  describes (HMAC-SHA256 over ``timestamp + "." + body``).

Every request carries ``X-Breakglass-Delivery`` and ``Idempotency-Key`` (``<outbox_id>:
<channel>``, stable across retries). Any non-2xx answer is a failure; 408/429/5xx are
transient, other 4xx most likely a configuration problem (revoked URL, wrong secret).
No error message contains the URL.
"""

from __future__ import annotations

import json
import re
import ssl
import time
from pathlib import Path
from typing import Any

import httpx

from breakglass.config import ChannelSettings
from breakglass.notify._message import (
    DELIVERY_HEADER,
    IDEMPOTENCY_HEADER,
    DeliveryError,
    Notification,
)
from breakglass.notify._signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_webhook

__all__ = ["send_json", "slack_payload", "teams_payload", "webhook_body"]

WEBHOOK_SCHEMA = "breakglass.notification/v1"
_SLACK_HEADER_MAX = 150
_SLACK_SECTION_MAX = 3000
_SLACK_FIELD_MAX = 2000
_SLACK_FIELDS_PER_SECTION = 10
_TRANSIENT = {408, 425, 429}
_CODE = re.compile(r"`([^`]+)`")


_TEAMS_STYLE = {"critical": "attention", "warning": "warning", "good": "good", "info": "accent"}


def teams_payload(note: Notification) -> dict[str, Any]:
    """An Adaptive Card (schema 1.4) built from the alert's view: headline, facts, what to do."""
    view = note.view
    body: list[dict[str, Any]] = [
        {
            "type": "Container",
            "style": _TEAMS_STYLE[view.tone],
            "bleed": True,
            "items": [
                {
                    "type": "TextBlock",
                    "text": f"breakglass · {note.severity} · {note.event_type}",
                    "isSubtle": True,
                    "size": "Small",
                    "wrap": True,
                },
                {
                    "type": "TextBlock",
                    "text": view.headline,
                    "weight": "Bolder",
                    "size": "Large",
                    "wrap": True,
                },
            ],
        },
        {"type": "TextBlock", "text": view.lead, "wrap": True},
        {
            "type": "FactSet",
            "facts": [{"title": label, "value": value} for label, value in view.facts],
        },
    ]
    for title, lines in view.lists:
        body.append(
            {
                "type": "TextBlock",
                "text": title,
                "weight": "Bolder",
                "wrap": True,
                "spacing": "Medium",
            }
        )
        body += [
            {"type": "TextBlock", "text": f"• {line}", "wrap": True, "spacing": "None"}
            for line in lines
        ]
    body += [
        {
            "type": "Container",
            "style": "emphasis",
            "spacing": "Medium",
            "items": [
                {"type": "TextBlock", "text": "What to do", "weight": "Bolder", "wrap": True},
                # Adaptive Cards have no inline code: commands go in quotes.
                {"type": "TextBlock", "text": _CODE.sub(r"“\1”", view.action), "wrap": True},
            ],
        },
        {
            "type": "TextBlock",
            "text": f"Tenant {note.tenant_id} · notification {note.delivery_id}",
            "isSubtle": True,
            "size": "Small",
            "wrap": True,
        },
    ]
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "msteams": {"width": "Full"},
        "body": body,
    }
    return {
        "type": "message",
        "summary": _cut(view.headline, 250),
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mrkdwn(text: str, limit: int = _SLACK_SECTION_MAX) -> dict[str, str]:
    return {"type": "mrkdwn", "text": _cut(text, limit)}


def slack_payload(note: Notification) -> dict[str, Any]:
    """Block Kit blocks built from the alert's view (within Slack's limits), plus fallback text."""
    view = note.view
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _cut(view.headline, _SLACK_HEADER_MAX)},
        },
        {"type": "section", "text": _mrkdwn(_slack_escape(view.lead))},
    ]
    fields = [
        _mrkdwn(f"*{_slack_escape(label)}*\n{_slack_escape(value)}", _SLACK_FIELD_MAX)
        for label, value in view.facts
    ]
    for i in range(0, len(fields), _SLACK_FIELDS_PER_SECTION):
        blocks.append({"type": "section", "fields": fields[i : i + _SLACK_FIELDS_PER_SECTION]})
    for title, lines in view.lists:
        items = "\n".join(f"• {_slack_escape(line)}" for line in lines)
        blocks.append({"type": "section", "text": _mrkdwn(f"*{_slack_escape(title)}*\n{items}")})
    blocks += [
        {"type": "section", "text": _mrkdwn(f"*What to do*\n{_slack_escape(view.action)}")},
        {
            "type": "context",
            "elements": [
                _mrkdwn(
                    _slack_escape(
                        f"breakglass · {note.severity} · {note.event_type} · tenant "
                        f"{note.tenant_id} · {note.delivery_id}"
                    )
                )
            ],
        },
    ]
    return {"text": _cut(f"{view.headline}\n{view.lead}", 4000), "blocks": blocks[:50]}


def webhook_body(note: Notification) -> bytes:
    """The generic webhook's JSON body, exactly as sent and signed."""
    document = {
        "schema": WEBHOOK_SCHEMA,
        "delivery_id": note.delivery_id,
        "outbox_id": note.outbox_id,
        "tenant_id": note.tenant_id,
        "event_type": note.event_type,
        "severity": note.severity,
        "subject": note.subject,
        "created_at": note.created_at.isoformat(),
        "text": note.text,
        "payload": note.payload,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), default=str).encode()


def send_json(channel: ChannelSettings, note: Notification, *, ca_bundle: Path | None) -> None:
    """POST ``note`` to the channel's URL in the channel kind's shape."""
    assert channel.url is not None
    if channel.kind == "teams":
        body = _json_bytes(teams_payload(note))
    elif channel.kind == "slack":
        body = _json_bytes(slack_payload(note))
    else:
        body = webhook_body(note)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "breakglass-notify/1",
        DELIVERY_HEADER: note.delivery_id,
        IDEMPOTENCY_HEADER: note.delivery_id,
    }
    if channel.kind == "webhook":
        assert channel.hmac_secret is not None
        timestamp = str(int(time.time()))
        headers[TIMESTAMP_HEADER] = timestamp
        headers[SIGNATURE_HEADER] = sign_webhook(
            channel.hmac_secret.get_secret_value(), timestamp, body
        )
    _post(channel, body, headers, ca_bundle)


def _json_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def _post(
    channel: ChannelSettings, body: bytes, headers: dict[str, str], ca_bundle: Path | None
) -> None:
    assert channel.url is not None
    url = httpx.URL(channel.url.get_secret_value())
    where = f"{channel.kind.value} webhook at {url.host}"
    verify: ssl.SSLContext | bool = (
        ssl.create_default_context(cafile=str(ca_bundle)) if ca_bundle else True
    )
    try:
        with httpx.Client(
            timeout=channel.timeout_seconds, verify=verify, follow_redirects=False
        ) as client:
            response = client.post(url, content=body, headers=headers)
    except httpx.TimeoutException as exc:
        raise DeliveryError(f"{where}: timed out ({type(exc).__name__})") from None
    except httpx.HTTPError as exc:
        # The message of a transport error names the socket problem, not the URL; the
        # dispatcher scrubs it again in case a library starts including it.
        raise DeliveryError(f"{where}: {type(exc).__name__}: {exc}") from None
    status = response.status_code
    if 200 <= status < 300:
        return
    snippet = " ".join(response.text[:200].split())
    transient = status in _TRANSIENT or status >= 500
    hint = "" if transient else " (likely a configuration problem: URL revoked or wrong?)"
    raise DeliveryError(
        f"{where} answered HTTP {status}{hint}: {snippet}",
        likely_config=not transient,
        retry_after=_retry_after(response),
    )


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff
