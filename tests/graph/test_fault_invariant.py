"""The invariant: nothing unread or unparsed ever passes.

One simulator serves a tenant with known defects (``tests/support/faults.py``). A clean
``breakglass check`` gives the baseline verdicts; then, for every read × every fault Graph
can show on it, the real command runs again with the fault switched on through the
simulator's control API. No failure may turn into a pass, the unread thing is an ``error``
that names the read (and, for a 403, the permission), the report is always written and the
exit code says "incomplete" (4) unless critical failures remain (3).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from breakglass.cli import app
from tests.support.faults import CONFIG, FaultCase, defective_tenant, fault_matrix, finding_key
from tests.support.sim import merge_toml

CASES = fault_matrix()
#: Large enough that a fault stays on for the whole run, retries included.
PERSISTENT = 10_000
PLANTED = {
    "BG-002",
    "BG-004",
    "BG-006",
    "BG-007",
    "BG-008",
    "BG-009",
    "BG-010",
    "BG-011",
    "BG-020",
    "BG-021",
    "BG-022",
    "BG-023",
    "BG-030",
    "BG-031",
    "BG-032",
}
runner = CliRunner()


@dataclass
class Running:
    server: Any
    config: Path
    control: httpx.Client


@pytest.fixture(scope="module")
def tenant(tmp_path_factory: pytest.TempPathFactory, simulator_keys: Path) -> Iterator[Running]:
    """One simulator for the whole matrix; faults are switched between runs."""
    from breakglass.simulator import SimulatorServer, load_scenario, write_config

    loaded = load_scenario(defective_tenant())
    server = SimulatorServer(loaded, state_dir=simulator_keys)
    server.start()
    config = write_config(server, loaded, tmp_path_factory.mktemp("faults") / "breakglass.toml")
    # A static token: the matrix is about Graph's answers, and it saves a token request and
    # a private-key load per run.
    merge_toml(
        config, {**CONFIG, "credential": {"kind": "static_token", "token": server.static_token}}
    )
    control = httpx.Client(base_url=server.control_url, timeout=30)
    try:
        yield Running(server, config, control)
    finally:
        control.close()
        server.stop()


def _check(tenant: Running, out: Path) -> tuple[int, dict[str, Any] | None, str]:
    result = runner.invoke(
        app,
        [
            "check",
            "-c",
            str(tenant.config),
            "--format",
            "json",
            "--output",
            str(out),
            "--no-store",
            "--fail-on",
            "critical",
        ],
    )
    doc = json.loads(out.read_text(encoding="utf-8")) if out.exists() else None
    crash = repr(result.exception) if result.exit_code == 1 else ""
    return result.exit_code, doc, crash + result.stderr[-2000:]


@pytest.fixture(scope="module")
def baseline(tenant: Running, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The clean run: every planted defect fails, nothing is an error."""
    code, doc, err = _check(tenant, tmp_path_factory.mktemp("baseline") / "report.json")
    assert doc is not None, err
    failing = {f["check_id"] for f in doc["findings"] if f["status"] == "fail"}
    assert failing >= PLANTED, sorted(PLANTED - failing)
    assert doc["summary"]["error"] == 0, [
        f["message"] for f in doc["findings"] if f["status"] == "error"
    ]
    assert code == 3
    return doc


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_no_fault_turns_a_failure_into_a_pass(
    tenant: Running, baseline: dict[str, Any], case: FaultCase, tmp_path: Path
) -> None:
    """Under each fault on each read no failure passes, the read is a named error, exit 3/4."""
    tenant.control.delete("/faults")
    response = tenant.control.post(
        "/faults", json={"path": case.read.path, "count": PERSISTENT, **case.spec}
    )
    assert response.status_code == 201, response.text
    try:
        code, doc, err = _check(tenant, tmp_path / "report.json")
        left = tenant.control.get("/faults").json()["faults"]
    finally:
        tenant.control.delete("/faults")
    assert not left or left[0]["count"] < PERSISTENT, f"{case.read.path} was never requested"
    assert doc is not None, f"no report written (exit {code}): {err}"
    findings = doc["findings"]
    errors = [f["message"] for f in findings if f["status"] == "error"]
    if case.must_error:
        word = case.names or case.read.what
        assert any(word in message for message in errors), (word, errors)
        if case.spec.get("status") == 403 and case.read.permission:
            assert any(case.read.permission in m and case.read.what in m for m in errors), errors
    _assert_no_flip(baseline["findings"], findings)
    critical = any(f["status"] == "fail" and f["severity"] == "critical" for f in findings)
    assert code == (3 if critical else 4 if errors else 0), (code, err)


def _assert_no_flip(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> None:
    """Each baseline failure still fails, or is an error, or its check reports an error."""
    now = {finding_key(f): f["status"] for f in after}
    erring = {f["check_id"] for f in after if f["status"] == "error"}
    for finding in before:
        if finding["status"] != "fail":
            continue
        key = finding_key(finding)
        status = now.get(key)
        if status in ("fail", "error"):
            continue
        assert status is None and key[0] in erring, (
            f"{key[0]} on {finding['resource']['name'] or key[1]} went from fail to "
            f"{status or 'nothing'}: {finding['message']}"
        )
