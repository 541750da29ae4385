"""The watch, reviews and drill commands through Typer: happy path, JSON shape, exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import typer
from typer.testing import CliRunner

from breakglass.cli.reviews import drill_app, reviews_app
from breakglass.cli.watch import watch as watch_command
from tests.support.sim import Sim, sign_in
from tests.support.tenant import BG1

LIST_KEYS = {
    "id",
    "kind",
    "state",
    "account",
    "opened_at",
    "due_at",
    "signin_ids",
    "evidence_count",
    "classification",
}


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("watch")(watch_command)
    app.add_typer(reviews_app, name="reviews")
    app.add_typer(drill_app, name="drill")
    return app


def test_cli_round_trip(sim_factory: Callable[..., Sim]) -> None:
    """watch --once, reviews list/show/submit/approve and drill schedule work; refusals exit 2."""
    sim = sim_factory()
    cfg = ["--config", str(sim.tenant.config_path)]
    runner, app = CliRunner(), _app()
    now = datetime.now(UTC)
    r = runner.invoke(
        app,
        [
            "drill",
            "schedule",
            "--account",
            "all",
            "--start",
            (now + timedelta(days=1)).isoformat(),
            "--end",
            (now + timedelta(days=1, hours=2)).isoformat(),
            "--actor",
            "alice",
            "--reason",
            "Q3",
            *cfg,
        ],
    )
    assert r.exit_code == 0, r.output
    (ident,) = sim.sign_ins([sign_in(BG1, "-5m")])
    assert runner.invoke(app, ["watch", "--once", *cfg]).exit_code == 0
    r = runner.invoke(app, ["reviews", "list", "--format", "json", *cfg])
    (item,) = json.loads(r.stdout)
    assert set(item) == LIST_KEYS and item["signin_ids"] == [ident] and item["account"]["id"] == BG1
    rid = str(item["id"])
    r = runner.invoke(
        app,
        [
            "reviews",
            "submit",
            rid,
            "--actor",
            "bob",
            "--operator",
            "carol",
            "--classification",
            "emergency",
            "--justification",
            "outage",
            "--actions",
            "fixed the policy",
            "--root-cause",
            "bad CA change",
            "--follow-up",
            "review CA changes",
            "--ticket",
            "INC-1",
            *cfg,
        ],
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["reviews", "approve", rid, "--actor", "Carol", *cfg])
    assert r.exit_code == 2 and "two-person" in r.stderr
    assert runner.invoke(app, ["reviews", "approve", "999", "--actor", "dave", *cfg]).exit_code == 2
    assert (
        runner.invoke(app, ["reviews", "approve", rid, *cfg]).exit_code == 2
    )  # --actor is required
    assert runner.invoke(app, ["reviews", "approve", rid, "--actor", "dave", *cfg]).exit_code == 0
    r = runner.invoke(app, ["reviews", "close", rid, "--actor", "dave", "--waiver", "x", *cfg])
    assert r.exit_code == 2 and "only drills" in r.stderr
    detail = json.loads(
        runner.invoke(app, ["reviews", "show", rid, "--format", "json", *cfg]).stdout
    )
    assert set(detail) >= LIST_KEYS and detail["state"] == "approved" and len(detail["events"]) == 3
    assert runner.invoke(app, ["reviews", "list", "--config", "/nonexistent.toml"]).exit_code == 2


def test_watch_once_exits_4_on_graph_failure(sim_factory: Callable[..., Sim]) -> None:
    """watch --once exits 4 when Graph fails, so a blind poll never reads as clean."""
    sim = sim_factory()
    sim.fault(path="auditLogs/signIns", status=500, count=10)
    r = CliRunner().invoke(_app(), ["watch", "--once", "--config", str(sim.tenant.config_path)])
    assert r.exit_code == 4 and "FAILED" in r.stderr
