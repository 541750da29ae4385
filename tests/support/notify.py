"""Notification test helpers: settings, channels, TLS material and the SMTP and HTTP receivers.

The fixtures that start the receivers live in tests/notify/conftest.py; the
``_dispatch_child`` process imports from here too, so nothing here needs pytest.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import select

from breakglass.config import Settings
from breakglass.notify import SessionFactory
from breakglass.store.tables import DeliveryRow
from tests.support.settings import offline_settings

__all__ = [
    "HMAC_SECRET",
    "SIGNIN_PAYLOAD",
    "SIGNIN_RAW",
    "SMTP_PASSWORD",
    "SMTP_USER",
    "TENANT",
    "URL_TOKEN",
    "Certs",
    "Received",
    "Receiver",
    "SmtpServer",
    "card_text",
    "deliveries",
    "free_port",
    "hook_channel",
    "mail_bodies",
    "make_settings",
    "queue",
    "serve_receiver",
    "smtp_channel",
]

TENANT = "11111111-2222-3333-4444-555555555555"
SMTP_USER = "alerts"
SMTP_PASSWORD = "Sm7p-pa55w0rd-Z9q"
HMAC_SECRET = "hmac-key-Q4w8e2r6t0y"
URL_TOKEN = "T0K3NxyzSECRET42"


def make_settings(
    db_url: str, channels: list[dict[str, Any]], *, max_attempts: int = 3, **notify: Any
) -> Settings:
    """Settings for tenant TENANT with these notification channels and this database."""
    return offline_settings(
        db_url,
        tenant_id=TENANT,
        notifications={"channels": channels, "max_attempts": max_attempts, **notify},
    )


def deliveries(sessions: SessionFactory) -> list[DeliveryRow]:
    """Every delivery row in the store, in id order."""
    with sessions() as session:
        return list(session.scalars(select(DeliveryRow).order_by(DeliveryRow.id)))


# -- TLS material -----------------------------------------------------------------------


@dataclass(frozen=True)
class Certs:
    ca_path: Path
    cert_path: Path
    key_path: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- SMTP --------------------------------------------------------------------------------


@dataclass
class SmtpServer:
    port: int
    messages: list[Any] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)


def smtp_channel(server: SmtpServer, certs: Certs, **overrides: Any) -> dict[str, Any]:
    """An SMTP channel for ``server`` over STARTTLS with the test CA; ``overrides`` win."""
    channel: dict[str, Any] = {
        "name": "mail",
        "kind": "smtp",
        "host": "127.0.0.1",
        "port": server.port,
        "username": SMTP_USER,
        "password": SMTP_PASSWORD,
        "sender": "breakglass@contoso.example",
        "recipients": ["secops@contoso.example", "oncall@contoso.example"],
        "ca_bundle": str(certs.ca_path),
        "timeout_seconds": 5,
    }
    channel.update(overrides)
    return channel


def mail_bodies(server: SmtpServer, delivery_id: str) -> tuple[str, str]:
    """The text and the (unescaped) HTML part of the one message with this delivery id."""
    import email
    import email.policy
    import html

    found = []
    for envelope in server.messages:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        if message["X-Breakglass-Delivery"] == delivery_id:
            found.append(message)
    assert len(found) == 1, f"{len(found)} messages for {delivery_id}"
    text = found[0].get_body(preferencelist=("plain",))
    markup = found[0].get_body(preferencelist=("html",))
    assert text is not None and markup is not None
    return text.get_content(), html.unescape(markup.get_content())


# -- HTTP receivers ----------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    #: When it arrived (``time.time()``), to tell a resend after a crash from a double send.
    at: float = field(default_factory=time.time)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver; ``status`` per path prefix, optional slow first request."""

    port: int = 0
    scheme: str = "http"
    requests: list[Received] = field(default_factory=list)
    status: dict[str, int] = field(default_factory=dict)
    #: Hold the first request this long (seconds) before answering.
    hold_first: float = 0.0
    echo_path_in_error: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, name: str) -> str:
        """A hook URL with a secret token in the path and the query, like real ones."""
        return f"{self.scheme}://127.0.0.1:{self.port}/hooks/{name}/{URL_TOKEN}?sig={URL_TOKEN}x"

    def to(self, name: str) -> list[Received]:
        return [r for r in self.requests if r.path.startswith(f"/hooks/{name}/")]

    def unique(self, name: str) -> set[str]:
        """Delivery ids a receiver deduping on ``X-Breakglass-Delivery`` accepted."""
        return {r.headers["x-breakglass-delivery"] for r in self.to(name)}


def serve_receiver(certs: Certs | None) -> Iterator[Receiver]:
    state = Receiver(scheme="https" if certs else "http")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with state.lock:
                first = not state.requests
                state.requests.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
            if first and state.hold_first:
                state.release.wait(state.hold_first)
            name = self.path.split("/")[2] if self.path.startswith("/hooks/") else ""
            status = state.status.get(name, 200)
            text = f"error for {self.path}" if state.echo_path_in_error else "ok"
            payload = text.encode()
            try:
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client was killed while we held the request

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if certs is not None:
        server.socket = certs.server_context().wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    server.block_on_close = False
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()


def card_text(document: Any) -> str:
    """The text a reader sees in a Teams card or Slack blocks (``text``, ``title``, ``value``
    strings), one a line; structure such as ``"spacing": "None"`` is left out."""
    if isinstance(document, dict):
        return "\n".join(
            value
            if isinstance(value, str) and key in ("text", "title", "value")
            else card_text(value)
            for key, value in document.items()
            if not isinstance(value, str) or key in ("text", "title", "value")
        )
    if isinstance(document, list):
        return "\n".join(card_text(v) for v in document)
    return ""


def hook_channel(receiver: Receiver, name: str, kind: str, **overrides: Any) -> dict[str, Any]:
    """A ``kind`` hook channel posting to ``receiver``; a webhook gets the HMAC secret."""
    channel: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "url": receiver.url(name),
        "timeout_seconds": 5,
    }
    if kind == "webhook":
        channel["hmac_secret"] = HMAC_SECRET
    channel.update(overrides)
    return channel


#: A sign-in as Graph returns it (the shape of the documented example), for SIGNIN_PAYLOAD.
SIGNIN_RAW: dict[str, Any] = {
    "id": "6f1c0c5e-0000-4000-8000-000000000001",
    "createdDateTime": "2025-03-01T02:14:00Z",
    "userDisplayName": "Emergency 1",
    "userPrincipalName": "bg1@contoso.onmicrosoft.com",
    "userId": "11111111-aaaa-4aaa-8aaa-000000000001",
    "appDisplayName": "Azure Portal",
    "ipAddress": "203.0.113.7",
    "clientAppUsed": "Browser",
    "conditionalAccessStatus": "notApplied",
    "isInteractive": True,
    "status": {
        "errorCode": 50126,
        "failureReason": "Invalid username or password",
        "additionalDetails": None,
    },
    "location": {"city": "Oslo", "state": "Oslo", "countryOrRegion": "NO"},
}


def _signin_payload() -> dict[str, Any]:
    from breakglass.notify import signin_payload

    return dict(
        signin_payload(
            SIGNIN_RAW,
            signin_id=SIGNIN_RAW["id"],
            created_at=dt.datetime(2025, 3, 1, 2, 14, tzinfo=dt.UTC),
            success=False,
            upn="bg1@contoso.onmicrosoft.com",
            account_id=SIGNIN_RAW["userId"],
            display_name="Emergency 1",
            review_id=42,
            review_kind="attempt",
            review_state="open",
            review_opened=True,
            review_due_at=dt.datetime(2025, 3, 2, 2, 15, tzinfo=dt.UTC),
            review_due_for="submission",
        )
    )


#: A ``signin`` payload built as the watcher builds it (the notification contract).
SIGNIN_PAYLOAD: dict[str, Any] = _signin_payload()


def queue(
    sessions: SessionFactory,
    settings: Settings,
    *,
    key: str = "signin:1",
    event_type: str = "signin",
    subject: str = "Sign-in of bg1@contoso.onmicrosoft.com",
    payload: dict[str, Any] | None = None,
    channels: list[str] | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Publish one event to every configured channel (or ``channels``); its outbox id."""
    from breakglass.notify import publish

    with sessions() as session, session.begin():
        row = publish(
            session,
            settings,
            event_type=event_type,
            severity="critical",
            subject=subject,
            payload=SIGNIN_PAYLOAD if payload is None else payload,
            dedupe_key=key,
            channels=[c.name for c in settings.notifications.channels]
            if channels is None
            else channels,
            now=now or dt.datetime.now(dt.UTC),
        )
        return row.id
