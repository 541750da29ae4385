"""The `breakglass` command: exit codes, formats, config errors, speed of --help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from breakglass.cli import app
from tests.support.tenant import BG1, clone, find, healthy_tenant

runner = CliRunner()


def _invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_clean_tenant_exits_0_with_v1_json(tenant_factory) -> None:
    """A healthy tenant exits 0 and prints the breakglass.check/v1 document."""
    t = tenant_factory(healthy_tenant())
    code, out, _err = _invoke("check", "-c", str(t.config_path), "--format", "json", "--no-store")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["schema"] == "breakglass.check/v1"
    assert set(doc) == {"schema", "tenant_id", "started_at", "finished_at", "findings", "summary"}
    assert set(doc["summary"]) == {"pass", "fail", "error", "skipped", "muted"}
    finding = doc["findings"][0]
    assert set(finding) == {
        "check_id",
        "status",
        "severity",
        "resource",
        "related",
        "message",
        "remediation",
    }
    assert set(finding["resource"]) == {"type", "id", "name"}


def test_findings_exit_3_and_fail_on_threshold(tenant_factory) -> None:
    """A high failure exits 3 at --fail-on high and 0 at --fail-on critical."""
    s = clone(healthy_tenant())
    find(s["users"], BG1)["onPremisesSyncEnabled"] = True  # BG-002, high
    t = tenant_factory(s)
    assert _invoke("check", "-c", str(t.config_path), "--no-store", "-f", "json")[0] == 3
    assert (
        _invoke(
            "check", "-c", str(t.config_path), "--no-store", "-f", "json", "--fail-on", "critical"
        )[0]
        == 0
    )


def test_incomplete_run_exits_4(tenant_factory) -> None:
    """A missing permission makes the run incomplete: exit 4, never 0."""
    s = clone(healthy_tenant())
    s["withheldPermissions"] = ["AuditLog.Read.All"]
    t = tenant_factory(s)
    assert _invoke("check", "-c", str(t.config_path), "--no-store", "-f", "json")[0] == 4


@pytest.mark.parametrize("fmt", ["sarif", "csv", "junit", "table"])
def test_other_formats_write_to_output(tenant_factory, tmp_path, fmt) -> None:
    """Each format renders to --output."""
    t = tenant_factory(healthy_tenant())
    out = tmp_path / f"report.{fmt}"
    code, _o, _e = _invoke(
        "check", "-c", str(t.config_path), "--no-store", "-f", fmt, "-o", str(out)
    )
    assert code == 0
    text = out.read_text()
    if fmt == "sarif":
        doc = json.loads(text)
        assert doc["version"] == "2.1.0"
        rules = doc["runs"][0]["tool"]["driver"]["rules"]
        assert {r["id"] for r in rules} >= {"BG-001", "BG-020", "BG-050"}
    elif fmt == "csv":
        assert text.splitlines()[0].startswith("check_id,status,severity")
    elif fmt == "junit":
        assert "<testsuites" in text
    else:
        assert "BG-001" in text


def test_config_errors_name_the_field_and_exit_2(tmp_path) -> None:
    """Malformed TOML, unknown keys and bad values exit 2 naming the problem."""
    cases = {
        "broken.toml": ("[tenant\nid = 1", "not valid TOML"),
        "unknown.toml": (
            '[tenant]\nid = "6babcaad-604b-40ac-a9d7-9fd97c0b779f"\ncolour = "blue"\n'
            '[credential]\nkind = "azure_cli"\n',
            "tenant.colour",
        ),
        "badkind.toml": (
            '[tenant]\nid = "6babcaad-604b-40ac-a9d7-9fd97c0b779f"\n'
            '[credential]\nkind = "telepathy"\n',
            "credential.kind",
        ),
        "badaccount.toml": (
            '[tenant]\nid = "6babcaad-604b-40ac-a9d7-9fd97c0b779f"\n'
            '[credential]\nkind = "azure_cli"\n[[accounts]]\nupn = "bg1@x.onmicrosoft.com"\n'
            'object_id = "nope"\n',
            "accounts.0.object_id",
        ),
    }
    for name, (text, expected) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        code, _out, err = _invoke("check", "-c", str(path))
        assert code == 2, name
        assert expected in err, (name, err)


def test_world_readable_secret_is_refused(tmp_path) -> None:
    """A client secret in a world-readable file is refused, and the secret is not echoed."""
    path = tmp_path / "c.toml"
    path.write_text(
        '[tenant]\nid = "6babcaad-604b-40ac-a9d7-9fd97c0b779f"\n[credential]\n'
        'kind = "client_secret"\nclient_id = "6babcaad-604b-40ac-a9d7-9fd97c0b779f"\n'
        'client_secret = "Zr8Q~realLookingSecretValue123"\n'
    )
    path.chmod(0o644)
    code, out, err = _invoke("check", "-c", str(path))
    assert code == 2
    assert "credential.client_secret" in err and "chmod 600" in err
    assert "realLookingSecretValue" not in err + out


def test_placeholder_secret_is_refused(tmp_path) -> None:
    """A placeholder secret is refused even in a private file."""
    path = tmp_path / "c.toml"
    path.write_text(
        '[tenant]\nid = "6babcaad-604b-40ac-a9d7-9fd97c0b779f"\n[credential]\n'
        'kind = "client_secret"\nclient_id = "6babcaad-604b-40ac-a9d7-9fd97c0b779f"\n'
        'client_secret = "<your-client-secret>"\n'
    )
    path.chmod(0o600)
    code, _out, err = _invoke("check", "-c", str(path))
    assert code == 2 and "placeholder" in err


def test_env_overrides_the_file(tmp_path, monkeypatch) -> None:
    """BREAKGLASS_* variables override the file, nested with double underscores."""
    from breakglass.config import load_settings

    path = tmp_path / "c.toml"
    path.write_text(
        '[tenant]\nid = "6babcaad-604b-40ac-a9d7-9fd97c0b779f"\n[credential]\nkind = "azure_cli"\n'
    )
    monkeypatch.setenv("BREAKGLASS_THRESHOLDS__VALIDATION_DAYS", "30")
    assert load_settings(path).thresholds.validation_days == 30


def test_broken_scenario_exits_2(tmp_path) -> None:
    """`simulate` with a broken scenario file names the line and exits 2."""
    bad = tmp_path / "bad.json"
    bad.write_text('{"users": [\n  {"id": "x",}\n]}')
    code, _out, err = _invoke("simulate", "--scenario", str(bad))
    assert code == 2
    assert "line 2" in err


def test_permissions_lists_missing_ones(tenant_factory) -> None:
    """`permissions` against a tenant names each missing permission and exits 4."""
    s = clone(healthy_tenant())
    s["withheldPermissions"] = ["AuditLog.Read.All", "Policy.Read.All"]
    t = tenant_factory(s)
    code, out, err = _invoke("permissions", "-c", str(t.config_path))
    assert code == 4
    assert "AuditLog.Read.All, Policy.Read.All" in err
    assert "MISSING" in out


def test_permissions_honours_breakglass_config(tenant_factory, tmp_path, monkeypatch) -> None:
    """Without --config, `permissions` reads $BREAKGLASS_CONFIG like every other command."""
    s = clone(healthy_tenant())
    s["withheldPermissions"] = ["GroupMember.Read.All"]
    t = tenant_factory(s)
    monkeypatch.chdir(tmp_path)  # no ./breakglass.toml to fall back on
    monkeypatch.setenv("BREAKGLASS_CONFIG", str(t.config_path))
    code, out, err = _invoke("permissions")
    assert code == 4, (out, err)
    assert "missing: GroupMember.Read.All" in err
    assert "MISSING" in out


def test_permissions_table_names_the_checks_that_need_each(monkeypatch, tmp_path) -> None:
    """Without a configuration the table lists each permission with the checks needing it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BREAKGLASS_CONFIG", raising=False)
    monkeypatch.setenv("COLUMNS", "250")
    code, out, err = _invoke("permissions")
    assert code == 0, err
    assert "Needed by" in out
    row = next(line for line in out.splitlines() if "RoleAssignmentSchedule.Read.Directory" in line)
    assert "BG-004" in row and "BG-030" in row


def test_help_is_fast_and_does_not_import_msgraph() -> None:
    """`breakglass --help` answers quickly without importing msgraph."""
    code = "import sys, breakglass.cli as c; print('msgraph' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    exe = Path(sys.executable).parent / "breakglass"
    start = time.perf_counter()
    subprocess.run(
        [str(exe), "--help"], capture_output=True, check=True, env={**os.environ, "COLUMNS": "100"}
    )
    assert time.perf_counter() - start < 2.0  # the bench prints the real figure (~0.2 s)
