"""Each channel against a real local receiver: SMTP with STARTTLS and AUTH, Teams, Slack, webhook."""

from __future__ import annotations

import email
import email.policy
import json
from email.message import EmailMessage

from breakglass.notify import SessionFactory, dispatch_once, verify_webhook_signature
from tests.support.notify import (
    HMAC_SECRET,
    Certs,
    Receiver,
    SmtpServer,
    deliveries,
    hook_channel,
    make_settings,
    queue,
    smtp_channel,
)


def _parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_all_four_channels_deliver(
    db_url: str,
    sessions: SessionFactory,
    smtp_server: SmtpServer,
    certs: Certs,
    receiver: Receiver,
) -> None:
    """One sign-in reaches mail, Teams, Slack and the signed webhook, each once, all `sent`."""
    settings = make_settings(
        db_url,
        [
            smtp_channel(smtp_server, certs),
            hook_channel(receiver, "teams", "teams"),
            hook_channel(receiver, "slack", "slack"),
            hook_channel(receiver, "generic", "webhook"),
        ],
    )
    outbox_id = queue(sessions, settings)

    result = dispatch_once(settings, session_factory=sessions)

    assert result.ok and len(result.sent) == 4
    rows = deliveries(sessions)
    assert [(d.channel, d.status, d.attempts) for d in rows] == [
        ("mail", "sent", 0),
        ("teams", "sent", 0),
        ("slack", "sent", 0),
        ("generic", "sent", 0),
    ]
    assert len(rows) == 4 and all(d.sent_at is not None and d.last_error is None for d in rows)

    # SMTP: logged in after STARTTLS, multipart text + HTML, delivery header.
    assert smtp_server.logins == ["alerts"]
    (envelope,) = smtp_server.messages
    assert sorted(envelope.rcpt_tos) == ["oncall@contoso.example", "secops@contoso.example"]
    mail = _parse(envelope.original_content)
    assert mail["Subject"] == "Sign-in of bg1@contoso.onmicrosoft.com"
    assert mail["X-Breakglass-Delivery"] == f"{outbox_id}:mail"
    text_part = mail.get_body(preferencelist=("plain",))
    html_part = mail.get_body(preferencelist=("html",))
    assert text_part is not None and "203.0.113.7" in text_part.get_content()
    assert html_part is not None and "<table" in html_part.get_content()

    # Teams: an Adaptive Card message.
    (teams,) = receiver.to("teams")
    card = teams.json()["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["type"] == "AdaptiveCard"
    headline = card["content"]["body"][0]["items"][1]["text"]
    assert headline == "FAILED sign-in to emergency account bg1@contoso.onmicrosoft.com"
    assert any(b["type"] == "FactSet" for b in card["content"]["body"])
    assert teams.headers["x-breakglass-delivery"] == f"{outbox_id}:teams"
    assert teams.headers["idempotency-key"] == f"{outbox_id}:teams"

    # Slack: fallback text plus blocks.
    (slack,) = receiver.to("slack")
    message = slack.json()
    assert message["text"].startswith("FAILED sign-in to emergency account bg1@")
    types = [b["type"] for b in message["blocks"]]
    assert types[0] == "header" and types[-1] == "context"
    assert any("fields" in b for b in message["blocks"])

    # Generic: signed over timestamp + "." + exact body.
    (hook,) = receiver.to("generic")
    assert verify_webhook_signature(
        HMAC_SECRET,
        hook.headers["x-breakglass-timestamp"],
        hook.body,
        hook.headers["x-breakglass-signature"],
    )
    document = json.loads(hook.body)
    assert document["delivery_id"] == f"{outbox_id}:generic"
    assert document["event_type"] == "signin"
    assert document["payload"]["ip_address"] == "203.0.113.7"


def test_smtp_refuses_credentials_without_starttls(
    db_url: str,
    sessions: SessionFactory,
    smtp_server: SmtpServer,
    certs: Certs,
) -> None:
    """A channel with a username but starttls=false never sends the password in clear."""
    settings = make_settings(db_url, [smtp_channel(smtp_server, certs, starttls=False)])
    queue(sessions, settings)

    result = dispatch_once(settings, session_factory=sessions)

    (outcome,) = result.outcomes
    assert outcome.status == "retry"
    assert outcome.error is not None and "without STARTTLS" in outcome.error
    assert smtp_server.logins == [] and smtp_server.messages == []


def test_smtp_verifies_the_server_certificate(
    db_url: str,
    sessions: SessionFactory,
    smtp_server: SmtpServer,
    certs: Certs,
) -> None:
    """Without the private CA the STARTTLS handshake fails and nothing (no login) is sent."""
    settings = make_settings(db_url, [smtp_channel(smtp_server, certs, ca_bundle=None)])
    queue(sessions, settings)

    (outcome,) = dispatch_once(settings, session_factory=sessions).outcomes

    assert outcome.status == "retry"
    assert outcome.error is not None and "TLS failed" in outcome.error
    assert smtp_server.logins == [] and smtp_server.messages == []


def test_smtp_wrong_password_is_a_likely_config_error(
    db_url: str,
    sessions: SessionFactory,
    smtp_server: SmtpServer,
    certs: Certs,
) -> None:
    """A refused login is recorded as a failure naming the user, never the password."""
    settings = make_settings(db_url, [smtp_channel(smtp_server, certs, password="Wr0ng-pa55-Xy7")])
    queue(sessions, settings)

    (outcome,) = dispatch_once(settings, session_factory=sessions).outcomes

    assert outcome.status == "retry"
    assert outcome.error is not None and "refused the login for 'alerts'" in outcome.error
    assert "Wr0ng-pa55-Xy7" not in outcome.error
    assert smtp_server.messages == []


def test_https_webhook_verifies_against_the_channel_ca_bundle(
    db_url: str, sessions: SessionFactory, tls_receiver: Receiver, certs: Certs
) -> None:
    """An HTTPS hook signed by a private CA works with ca_bundle and fails without it."""
    settings = make_settings(
        db_url,
        [
            hook_channel(tls_receiver, "trusted", "webhook", ca_bundle=str(certs.ca_path)),
            hook_channel(tls_receiver, "untrusted", "webhook"),
        ],
    )
    queue(sessions, settings)

    result = dispatch_once(settings, session_factory=sessions)

    assert [(o.channel, o.status) for o in result.outcomes] == [
        ("trusted", "sent"),
        ("untrusted", "retry"),
    ]
    assert "CERTIFICATE_VERIFY_FAILED" in str(result.outcomes[1].error)
    assert len(tls_receiver.to("trusted")) == 1 and tls_receiver.to("untrusted") == []
