"""`breakglass demo` runs end to end against the built-in scenario, and tells the truth:
no self-inflicted finding, no channel on purpose, and "Next" hints that work."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from breakglass.cli import app
from tests.support.cli import run_main


def _demo(workdir: Path) -> tuple[str, str]:
    result = CliRunner().invoke(app, ["demo", "--workdir", str(workdir)])
    assert result.exit_code == 0, result.stderr
    return result.stdout, result.stderr


def test_demo_checks_and_opens_a_live_review(tmp_path) -> None:
    """The demo prints planted findings and a live sign-in opens a review."""
    out, err = _demo(tmp_path / "demo")
    assert "BG-004" in out and "FAIL" in out
    assert "review #" in err and "usage open" in err and "← the live sign-in" in err
    assert (tmp_path / "demo" / "breakglass.toml").stat().st_mode & 0o077 == 0


def test_demo_polls_before_it_checks_and_says_why_no_alert_goes_out(tmp_path) -> None:
    """The watcher polls before the check (no BG-042 "blind" failure); no channel is explained."""
    out, err = _demo(tmp_path / "demo")
    assert not re.search(r"BG-042\s*│\s*FAIL", out), out
    assert "first poll" in err
    assert "Notifications: none configured, on purpose" in err
    assert "[[notifications.channels]]" in err


def _hints(err: str) -> list[str]:
    return [line.strip() for line in err.splitlines() if line.startswith("  breakglass ")]


def test_demo_next_hints_work(tmp_path) -> None:
    """Every "Next" command the demo prints runs against the demo's config and exits 0."""
    _out, err = _demo(tmp_path / "demo")
    hints = _hints(err)
    assert [shlex.split(h)[1:3] for h in hints] == [
        ["reviews", "list"],
        ["reviews", "show"],
        ["simulate", "--scenario"],
        ["reviews", "submit"],
        ["reviews", "approve"],
        ["reviews", "close"],
    ]
    rotate = next(line for line in err.splitlines() if "curl -X PATCH CONTROL/" in line)
    user_path = re.search(r"CONTROL(/resources/users/[0-9a-f-]+)", rotate)
    assert user_path is not None
    simulator: subprocess.Popen[str] | None = None
    try:
        for hint in hints:
            argv = shlex.split(hint)[1:]
            if argv[0] == "simulate":
                exe = Path(sys.executable).parent / "breakglass"
                simulator = subprocess.Popen([str(exe), *argv], stderr=subprocess.PIPE, text=True)
                control = _wait_for_control_url(simulator)
                continue
            if argv[:2] == ["reviews", "close"]:
                answer = httpx.patch(
                    control + user_path.group(1),
                    json={"lastPasswordChangeDateTime": "-0s"},
                    timeout=10,
                )
                assert answer.status_code == 200, answer.text
            result = run_main(*argv)
            assert result.escaped is None, (hint, result.escaped)
            assert result.code == 0, (hint, result.stderr)
    finally:
        if simulator is not None:
            simulator.terminate()
            simulator.wait(timeout=30)
            assert simulator.stderr is not None
            simulator.stderr.close()


def _wait_for_control_url(process: subprocess.Popen[str]) -> str:
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    control = ""
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            raise AssertionError(f"simulate ended early (exit {process.poll()})")
        if line.startswith("Control:"):
            control = line.split(None, 1)[1].strip()
        if "Press Ctrl-C" in line:
            return control
    raise AssertionError("simulate did not come up within 60 s")
