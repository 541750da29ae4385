"""``breakglass audit keys-init | checkpoint | verify``: output streams and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from breakglass.cli.audit import audit_app
from breakglass.exitcodes import ExitCode

runner = CliRunner()


def _run(*args: str):
    return runner.invoke(audit_app, list(args))


@pytest.fixture
def keyed_file(config_file: Path) -> Path:
    result = _run("keys-init", "--config", str(config_file))
    assert result.exit_code == 0, result.stderr
    return config_file


def test_keys_init_prints_the_fingerprint_and_refuses_to_overwrite(config_file: Path) -> None:
    """keys-init prints 'sha256 <hex>', says the key has no passphrase; a second run exits 2."""
    first = _run("keys-init", "--config", str(config_file))
    assert first.exit_code == 0
    assert first.stdout.startswith("sha256 ") and len(first.stdout.split()[1]) == 64
    assert "NOT passphrase-protected" in first.stderr
    again = _run("keys-init", "--config", str(config_file))
    assert again.exit_code == ExitCode.USAGE
    assert "already exists" in again.stderr


def test_checkpoint_then_verify_exits_0(keyed_file: Path, fill) -> None:
    """checkpoint prints the exported file; verify (default: the exported files) exits 0."""
    fill(3)
    made = _run("checkpoint", "--config", str(keyed_file))
    assert made.exit_code == 0, made.stderr
    path = Path(made.stdout.strip())
    assert path.is_file()
    result = _run("verify", "--config", str(keyed_file))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("OK: the audit log's 3 entries are intact")
    explicit = _run("verify", "--config", str(keyed_file), "--checkpoint", str(path))
    assert explicit.exit_code == 0, explicit.stderr


def test_tampered_log_exits_5_with_each_problem_on_stderr(keyed_file: Path, fill, dba) -> None:
    """After a DBA cuts the tail, verify exits 5 and names the truncation; json on stdout."""
    fill(4)
    path = Path(_run("checkpoint", "--config", str(keyed_file)).stdout.strip())
    dba.execute("DELETE FROM audit_log WHERE seq > 2")
    dba.execute("DELETE FROM audit_checkpoints")
    result = _run("verify", "--config", str(keyed_file), "--checkpoint", str(path))
    assert result.exit_code == ExitCode.VERIFICATION_FAILED
    assert "error: log truncated: checkpoint says 4, log has 2" in result.stderr
    as_json = _run("verify", "-c", str(keyed_file), "--checkpoint", str(path), "--format", "json")
    assert as_json.exit_code == ExitCode.VERIFICATION_FAILED
    data = json.loads(as_json.stdout)
    assert data["ok"] is False and data["size"] == 2
    assert data["problems"][0]["reason"].startswith("log truncated")


def test_checkpoint_refuses_a_tampered_log_with_exit_5(keyed_file: Path, fill, dba) -> None:
    """`audit checkpoint` will not sign over a log that fails verification."""
    fill(2)
    dba.execute("UPDATE audit_log SET payload = payload || ' ' WHERE seq = 1")
    result = _run("checkpoint", "--config", str(keyed_file))
    assert result.exit_code == ExitCode.VERIFICATION_FAILED
    assert "refusing to sign" in result.stderr


def test_checkpoint_without_a_key_exits_2(config_file: Path) -> None:
    """Without a checkpoint key, `audit checkpoint` says how to create one and exits 2."""
    result = _run("checkpoint", "--config", str(config_file))
    assert result.exit_code == ExitCode.USAGE
    assert "keys-init" in result.stderr


def test_usage_and_config_errors_exit_2(tmp_path: Path, config_file: Path) -> None:
    """A missing config file or an unknown --format exits 2."""
    missing = _run("verify", "--config", str(tmp_path / "nope.toml"))
    assert missing.exit_code == ExitCode.USAGE
    assert "configuration" in missing.stderr
    bad = _run("verify", "--config", str(config_file), "--format", "xml")
    assert bad.exit_code == ExitCode.USAGE


def test_unmigrated_store_exits_2(tmp_path: Path) -> None:
    """A config whose database is not migrated exits 2 naming `breakglass db upgrade`."""
    import tomli_w

    from tests.support.settings import audit_config as config_dict

    path = tmp_path / "other.toml"
    path.write_text(tomli_w.dumps(config_dict(f"sqlite:///{tmp_path / 'empty.db'}")))
    result = _run("verify", "--config", str(path))
    assert result.exit_code == ExitCode.USAGE
    assert "db upgrade" in result.stderr
