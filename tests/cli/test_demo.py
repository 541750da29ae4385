"""`breakglass demo` runs end to end against the built-in scenario."""

from __future__ import annotations

from typer.testing import CliRunner

from breakglass.cli import app


def test_demo_checks_and_opens_a_live_review(tmp_path) -> None:
    """The demo prints planted findings and a live sign-in opens a review."""
    result = CliRunner().invoke(app, ["demo", "--workdir", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.stderr
    assert "BG-004" in result.stdout and "FAIL" in result.stdout
    assert "review #" in result.stderr and "usage open" in result.stderr
    assert (tmp_path / "demo" / "breakglass.toml").stat().st_mode & 0o077 == 0
