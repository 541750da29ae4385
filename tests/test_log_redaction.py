"""No secret reaches a log line, whatever the operation and however verbose the logging.

Each test configures logging as ``breakglass --log-level debug`` does (``configure_logging``),
captures every structlog event (``structlog.testing.capture_logs``, which sees the event
dicts before any processor, so redaction by key is not relied upon) and every stdlib record
that the configured loggers emit (azure-identity, MSAL, httpcore, urllib3, alembic … through
``caplog`` at DEBUG), runs real operations with secrets configured, and searches the
``repr`` of each captured event and record for every secret and for any JWT.

httpx logs each request URL at INFO, and webhook URLs carry their token: before
``configure_logging`` capped the ``httpx`` logger at WARNING, the dispatch test below found
the Slack and webhook tokens in those lines.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import structlog
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from breakglass.config import CredentialKind, CredentialSettings, Settings
from breakglass.errors import StoreError
from breakglass.logs import configure_logging
from breakglass.simulator import scenario_path
from tests.support.logs import Captured

if TYPE_CHECKING:  # the fixture's type only; the fixture comes from tests/conftest.py
    from tests.support.sim import Tenant

CLIENT_SECRET = "Cs9~LeakCanary.ClientSecret_7QpZ"  # test secrets, all distinct
WRONG_SECRET = "Cs9~LeakCanary.WrongSecret_4RtY"
URL_TOKEN = "LeakCanaryUrlTok3nXq81Zw"
HMAC_SECRET = "LeakCanaryHmacK3y-Vb62Np"
SMTP_PASSWORD = "LeakCanarySmtpPa55-Lm40"
DB_PASSWORD = "LeakCanaryDbPa55-Hj27Wq"
PASSPHRASE = "LeakCanary signing passphrase 91"


def _scenario(**extra: Any) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(scenario_path("minimal").read_text(encoding="utf-8"))
    raw.update(extra)
    return raw


def _client_secret_settings(tenant: Tenant, secret: str) -> Settings:
    credential = CredentialSettings(
        kind=CredentialKind.CLIENT_SECRET,
        client_id=tenant.server.client_id,
        client_secret=SecretStr(secret),
        authority=tenant.server.authority_url,
        ca_bundle=tenant.server.ca_bundle_path,
    )
    return tenant.settings.model_copy(update={"credential": credential})


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _FailingHook(ThreadingHTTPServer):
    """A webhook receiver that answers every POST with HTTP 500."""

    daemon_threads = True

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = b'{"error": "receiver down"}'
                self.send_response(500)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.fixture
def failing_hook() -> Iterator[str]:
    """The base URL of a live receiver that fails every delivery."""
    server = _FailingHook()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _inject_fault(tenant: Tenant, fault: dict[str, Any]) -> None:
    import httpx

    response = httpx.post(f"{tenant.server.control_url}/faults", json=fault, timeout=10)
    assert response.status_code == 201, response.text


# -- Graph ------------------------------------------------------------------------------


def test_graph_read_with_client_secret_logs_no_secret(
    tenant_factory: Callable[..., Tenant], captured: Captured
) -> None:
    """Reading an account with a client-secret credential logs neither the secret nor the token."""
    from breakglass.graph import read_account

    tenant = tenant_factory(_scenario(app={"clientSecret": CLIENT_SECRET}))
    settings = _client_secret_settings(tenant, CLIENT_SECRET)
    account = settings.accounts[0].object_id
    snapshot = read_account(settings, account)
    assert account in snapshot.accounts
    assert [s for *_, s in tenant.server.request_log if s != 200] == []
    # The token request and the token cache were logged: the places a secret could leak.
    assert {"azure.core.pipeline.policies.http_logging_policy", "msal.token_cache"} <= (
        captured.loggers()
    )
    captured.assert_clean(CLIENT_SECRET)


def test_failing_graph_calls_log_no_secret(
    tenant_factory: Callable[..., Tenant], captured: Captured
) -> None:
    """A refused client secret and a Graph outage are logged without the secrets involved."""
    from breakglass.graph import read_account

    tenant = tenant_factory(_scenario(app={"clientSecret": CLIENT_SECRET}))
    account = tenant.settings.accounts[0].object_id
    refused = read_account(_client_secret_settings(tenant, WRONG_SECRET), account)
    status = refused.status_of(f"user:{account}")
    assert not status.complete and "AADSTS7000215" in (status.reason or "")
    # The right secret, but Graph fails every request (no retry waits: 500 is not retried).
    _inject_fault(tenant, {"path": ".*", "status": 500, "count": 50})
    snapshot = read_account(_client_secret_settings(tenant, CLIENT_SECRET), account)
    assert not snapshot.status_of(f"user:{account}").complete
    assert "graph.collection.failed" in captured.event_names()
    warnings = [r for r in captured.caplog.records if r.levelno >= logging.WARNING]
    assert any("AADSTS7000215" in r.getMessage() for r in warnings)
    captured.assert_clean(CLIENT_SECRET, WRONG_SECRET)


# -- notifications and the store -----------------------------------------------------------


def _with_password(url: str) -> str:
    """``url`` with the database password set (the test server trusts local connections)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return url
    return parsed.set(password=DB_PASSWORD).render_as_string(hide_password=False)


def test_notification_dispatch_logs_no_secret(
    db_url: str, failing_hook: str, captured: Captured
) -> None:
    """Deliveries to an unreachable webhook, a failing one and an unreachable SMTP relay log no
    URL token, HMAC key, SMTP password or database password."""
    from breakglass.notify import dispatch_once, publish
    from breakglass.store import Store

    dead = _closed_port()
    settings = Settings(
        tenant={"id": "6babcaad-604b-40ac-a9d7-9fd97c0b779f"},
        credential={"kind": "azure_cli"},
        store={"url": _with_password(db_url)},
        notifications={
            "channels": [
                {
                    "name": "unreachable",
                    "kind": "webhook",
                    "url": f"http://127.0.0.1:{dead}/hooks/{URL_TOKEN}?sig={URL_TOKEN}",
                    "hmac_secret": HMAC_SECRET,
                    "timeout_seconds": 2,
                },
                {
                    "name": "failing",
                    "kind": "webhook",
                    "url": f"{failing_hook}/hooks/{URL_TOKEN}",
                    "hmac_secret": HMAC_SECRET,
                    "timeout_seconds": 2,
                },
                {
                    "name": "slack",
                    "kind": "slack",
                    "url": f"{failing_hook}/services/T000/B000/{URL_TOKEN}",
                    "timeout_seconds": 2,
                },
                {
                    "name": "mail",
                    "kind": "smtp",
                    "host": "127.0.0.1",
                    "port": dead,
                    "username": "alerts",
                    "password": SMTP_PASSWORD,
                    "sender": "alerts@example.org",
                    "recipients": ["soc@example.org"],
                    "timeout_seconds": 2,
                },
            ],
            "max_attempts": 2,
        },
    )
    if db_url.startswith("postgresql"):
        assert DB_PASSWORD in settings.store_url
    now = datetime.now(UTC)
    with Store.open(settings.store_url) as store:
        with store.transaction() as session:
            publish(
                session,
                settings,
                event_type="signin",
                severity="critical",
                subject="Emergency account signed in",
                payload={"upn": "bg1@example.org"},
                dedupe_key="log-redaction-1",
                now=now,
            )
        first = dispatch_once(settings, session_factory=store.session_factory, now=now)
        assert sorted(o.status for o in first.outcomes) == ["retry"] * 4
        later = now + timedelta(days=1)  # past every backoff (capped at an hour)
        second = dispatch_once(settings, session_factory=store.session_factory, now=later)
        assert sorted(o.status for o in second.outcomes) == ["dead"] * 4
    assert {"notify.retry", "notify.dead"} <= captured.event_names()
    captured.assert_clean(URL_TOKEN, HMAC_SECRET, SMTP_PASSWORD, DB_PASSWORD)


def test_unreachable_database_logs_no_password(captured: Captured) -> None:
    """A store that cannot be reached fails with an error that is safe to log: no password."""
    from breakglass.store import Store

    url = f"postgresql+psycopg://breakglass:{DB_PASSWORD}@127.0.0.1:{_closed_port()}/bg"
    with pytest.raises(StoreError) as caught:
        Store.open(url)
    assert DB_PASSWORD not in str(caught.value)
    logging.getLogger("breakglass.test").debug("store refused: %s", caught.value)
    captured.assert_clean(DB_PASSWORD)


# -- signing --------------------------------------------------------------------------------


def test_signing_key_commands_log_no_passphrase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, captured: Captured
) -> None:
    """``keys init`` reading BREAKGLASS_SIGNING_PASSPHRASE, and a wrong passphrase, log no
    passphrase."""
    from typer.testing import CliRunner

    from breakglass.cli import app
    from breakglass.config import load_settings
    from breakglass.errors import SigningError
    from breakglass.signing import load_signer

    config = tmp_path / "breakglass.toml"
    config.write_text(
        '[tenant]\nid = "6babcaad-604b-40ac-a9d7-9fd97c0b779f"\n[credential]\nkind = "azure_cli"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("BREAKGLASS_SIGNING_PASSPHRASE", PASSPHRASE)
    # The CLI configures logging itself (its structlog events render to the captured stderr).
    result = CliRunner().invoke(
        app, ["--log-level", "debug", "keys", "init", "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    assert "sha256" in result.output
    assert PASSPHRASE not in result.output
    with structlog.testing.capture_logs() as events:
        with pytest.raises(SigningError) as caught:
            load_signer(load_settings(config), PASSPHRASE + " but wrong")
        structlog.get_logger("breakglass.test").error("signing refused", error=str(caught.value))
    captured.events.extend(events)
    assert PASSPHRASE not in str(caught.value)
    assert len(events) == 1
    captured.assert_clean(PASSPHRASE)


@pytest.mark.parametrize("json_lines", [False, True])
def test_a_logged_traceback_never_shows_local_variables(
    json_lines: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """A crash logged with its traceback (``watch.cycle.crashed``, the API's unhandled error)
    prints the code path, never the values of local variables such as a client secret."""
    secret = "hunter2-" + "x" * 24  # built at run time: the source line shows no value

    def read_tenant(client_secret: str) -> None:
        raise RuntimeError("the tenant read failed")

    configure_logging("info", json=json_lines)
    try:
        read_tenant(secret)
    except RuntimeError:
        structlog.get_logger("test").exception("watch.cycle.crashed")
    err = capsys.readouterr().err
    assert "watch.cycle.crashed" in err and "the tenant read failed" in err
    assert "read_tenant" in err  # the traceback is there
    assert secret not in err
