"""The SMTP channel: one multipart (text + HTML) message per notification, over STARTTLS.

The server's certificate is verified (``ca_bundle`` for a private CA). Credentials are
sent only after STARTTLS succeeded: a channel with a username but ``starttls = false`` is
refused, and a server that does not offer STARTTLS is a failure, never a downgrade.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from breakglass.config import ChannelSettings
from breakglass.notify._message import DELIVERY_HEADER, DeliveryError, Notification

__all__ = ["build_email", "send_email"]


def build_email(channel: ChannelSettings, note: Notification) -> EmailMessage:
    """The message: subject from the outbox, text and HTML parts, the delivery header."""
    assert channel.sender is not None
    message = EmailMessage()
    message["Subject"] = note.subject
    message["From"] = channel.sender
    message["To"] = ", ".join(channel.recipients)
    message["Date"] = format_datetime(note.created_at)
    message["Message-ID"] = make_msgid(idstring=f"breakglass.{note.outbox_id}.{note.channel}")
    message[DELIVERY_HEADER] = note.delivery_id
    if note.severity in ("critical", "high"):
        message["Importance"] = "high"
        message["X-Priority"] = "1"
    message.set_content(note.text)
    message.add_alternative(note.html, subtype="html")
    return message


def send_email(
    channel: ChannelSettings, note: Notification, *, ca_bundle: Path | None
) -> str | None:
    """Send ``note`` by SMTP; a note on partial success, ``DeliveryError`` on failure.

    Error messages never contain the password.
    """
    if channel.username and not channel.starttls:
        raise DeliveryError(
            "refusing to send SMTP credentials without STARTTLS (set starttls = true)",
            likely_config=True,
        )
    assert channel.host is not None
    message = build_email(channel, note)
    where = f"SMTP {channel.host}:{channel.port}"
    try:
        with smtplib.SMTP(channel.host, channel.port, timeout=channel.timeout_seconds) as smtp:
            smtp.ehlo()
            if channel.starttls:
                context = ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)
                smtp.starttls(context=context)
                smtp.ehlo()
            if channel.username:
                if not smtp.has_extn("auth"):
                    raise DeliveryError(
                        f"{where} does not offer AUTH after STARTTLS", likely_config=True
                    )
                password = channel.password.get_secret_value() if channel.password else ""
                smtp.login(channel.username, password)
            refused = smtp.send_message(message)
    except smtplib.SMTPNotSupportedError:
        raise DeliveryError(
            f"{where} does not offer STARTTLS; not sending without TLS", likely_config=True
        ) from None
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(
            f"{where} refused the login for {channel.username!r}: {exc.smtp_code}",
            likely_config=True,
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(
            f"{where} refused every recipient: {sorted(exc.recipients)}", likely_config=True
        ) from None
    except smtplib.SMTPResponseException as exc:
        raw = exc.smtp_error
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        raise DeliveryError(
            f"{where} answered {exc.smtp_code} {text}", likely_config=500 <= exc.smtp_code < 600
        ) from None
    except ssl.SSLError as exc:
        raise DeliveryError(f"{where}: TLS failed: {exc.reason or exc}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"{where}: {type(exc).__name__}: {exc}") from None
    if refused:
        # The others got it: a retry would send them a duplicate, so record it instead.
        return f"{where} refused some recipients: {sorted(refused)}"
    return None
