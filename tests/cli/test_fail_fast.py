"""`check` fails fast and briefly: authentication, reachability, output path and database
problems are found before the collectors run and end in one line (issue 9, item 6)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.cli import closed_port, run_main, run_process, toml_with
from tests.support.tenant import healthy_tenant

if TYPE_CHECKING:
    from tests.support.sim import Tenant

APP_SECRET = "Qx7~simulated.Cl13nt-S3cret_value"
WRONG_SECRET = "Wr0ng~but.real-looking_Secret99"


@pytest.fixture(autouse=True)
def _no_ambient_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BREAKGLASS_CREDENTIAL__CLIENT_SECRET", "BREAKGLASS_CREDENTIAL__TOKEN"):
        monkeypatch.delenv(name, raising=False)


def _wrong_secret(tenant_factory: Callable[..., Tenant]) -> Tenant:
    scenario = {**healthy_tenant(), "app": {"clientSecret": APP_SECRET}}
    tenant = tenant_factory(scenario)
    toml_with(
        tenant.config_path,
        credential={"kind": "client_secret", "client_secret": WRONG_SECRET},
    )
    return tenant


def _graph_reads(tenant: Tenant) -> list[Any]:
    return [e for e in tenant.server.request_log if e[1].startswith(("/v1.0", "/beta"))]


def test_bad_secret_is_one_line_exit_4_within_seconds(tenant_factory) -> None:
    """A wrong client secret ends in one stderr line and exit 4 in under 5 seconds."""
    tenant = _wrong_secret(tenant_factory)
    result = run_process("check", "-c", str(tenant.config_path), "--no-store")
    assert result.code == 4, result.stderr
    assert result.seconds < 5, result.seconds
    assert result.stdout == ""
    lines = result.error_lines
    assert len(lines) == 1, result.stderr
    assert "AADSTS7000215" in lines[0] and lines[0].startswith("error: ")
    assert WRONG_SECRET not in result.stderr and APP_SECRET not in result.stderr
    assert _graph_reads(tenant) == []
    tokens = [e for e in tenant.server.request_log if e[1].endswith("/oauth2/v2.0/token")]
    assert len(tokens) == 1, tokens  # detected once, not once per collector


def test_bad_secret_json_report_keeps_every_error(tenant_factory) -> None:
    """With --format json the full report is still written (every finding unread), stderr one line."""
    tenant = _wrong_secret(tenant_factory)
    result = run_main("check", "-c", str(tenant.config_path), "--no-store", "-f", "json")
    assert result.escaped is None
    assert result.code == 4, result.stderr
    doc = json.loads(result.stdout)
    statuses = {f["status"] for f in doc["findings"]}
    assert "pass" not in statuses and "fail" not in statuses
    errors = [f for f in doc["findings"] if f["status"] == "error"]
    assert errors and all("AADSTS7000215" in f["message"] for f in errors[:3])
    assert len(result.error_lines) == 1, result.stderr


def test_unreachable_authority_is_one_line_in_seconds(tenant_factory) -> None:
    """A token endpoint that refuses connections is reported once, in seconds, exit 4."""
    tenant = tenant_factory(healthy_tenant())
    toml_with(tenant.config_path, credential={"authority": f"https://127.0.0.1:{closed_port()}"})
    result = run_process("check", "-c", str(tenant.config_path), "--no-store")
    assert result.code == 4, result.stderr
    assert result.seconds < 8, result.seconds
    assert len(result.error_lines) == 1, result.stderr
    assert "token" in result.error_lines[0]


def test_unreachable_graph_is_reported_in_seconds(tenant_factory) -> None:
    """A Graph URL that refuses connections ends in one line and exit 4 within seconds."""
    tenant = tenant_factory(healthy_tenant())
    toml_with(tenant.config_path, tenant={"graph_url": f"http://127.0.0.1:{closed_port()}"})
    result = run_process("check", "-c", str(tenant.config_path), "--no-store")
    assert result.code == 4, result.stderr
    assert result.seconds < 8, result.seconds
    assert len(result.error_lines) == 1, result.stderr
    assert "cannot reach Microsoft Graph" in result.error_lines[0]


def test_missing_output_folder_is_exit_2_before_the_tenant_is_read(
    tenant_factory, tmp_path
) -> None:
    """--output into a missing folder is exit 2 naming the path, and Graph is never asked."""
    tenant = tenant_factory(healthy_tenant())
    target = tmp_path / "missing" / "dir" / "x.json"
    result = run_main("check", "-c", str(tenant.config_path), "-f", "json", "--output", str(target))
    assert result.escaped is None, result.escaped
    assert result.code == 2, result.stderr
    assert str(target.parent) in result.stderr
    assert "Traceback" not in result.stderr
    assert tenant.server.request_log == []


def test_unmigrated_database_is_exit_2_before_the_tenant_is_read(tenant_factory, tmp_path) -> None:
    """A database without the schema is exit 2, found before any Graph or token request."""
    tenant = tenant_factory(healthy_tenant(), store={"url": f"sqlite:///{tmp_path / 'empty.db'}"})
    result = run_main("check", "-c", str(tenant.config_path))
    assert result.escaped is None, result.escaped
    assert result.code == 2, result.stderr
    assert "db upgrade" in result.stderr
    assert tenant.server.request_log == []


def test_unusable_sqlite_path_is_exit_2_before_the_tenant_is_read(tenant_factory, tmp_path) -> None:
    """A SQLite path in a missing folder is one line and exit 2, before Graph is asked."""
    url = f"sqlite:///{tmp_path / 'nowhere' / 'x.db'}"
    tenant = tenant_factory(healthy_tenant(), store={"url": url})
    result = run_main("check", "-c", str(tenant.config_path))
    assert result.escaped is None, result.escaped
    assert result.code == 2, result.stderr
    assert len(result.error_lines) == 1, result.stderr
    assert tenant.server.request_log == []


def test_token_graph_refuses_is_one_line_exit_4(tenant_factory) -> None:
    """A token Graph answers 401 to is found by the preflight: one line, exit 4, no collector."""
    tenant = tenant_factory(healthy_tenant())
    toml_with(tenant.config_path, credential={"kind": "static_token", "token": "Wr0ngTokenValue12"})
    result = run_main("check", "-c", str(tenant.config_path), "--no-store")
    assert result.escaped is None
    assert result.code == 4, result.stderr
    assert len(result.error_lines) == 1, result.stderr
    assert "refused the access token (401 InvalidAuthenticationToken)" in result.error_lines[0]
    assert "Wr0ngTokenValue12" not in result.stderr
    assert [e[1] for e in _graph_reads(tenant)] == ["/v1.0/me"]
