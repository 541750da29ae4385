"""The ``breakglass`` command (Typer, DESIGN §15).

Machine output goes to stdout, progress and logs to stderr. Heavy modules (msgraph, the
store, reportlab) are imported inside the commands, so ``breakglass --help`` stays fast.
Exit codes: ``breakglass.exitcodes.ExitCode``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from breakglass.cli_common import ConfigOption, fail, load
from breakglass.errors import BreakglassError, ConfigError, StoreError
from breakglass.exitcodes import ExitCode

if TYPE_CHECKING:
    from breakglass.checks import CheckRun

__all__ = ["app", "main"]

app = typer.Typer(
    name="breakglass",
    help="Govern the emergency access (break-glass) accounts of a Microsoft Entra ID tenant.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _mount_subcommands() -> None:
    from breakglass.runbook.commands import keys_app, runbook_app

    app.add_typer(runbook_app, name="runbook", help="Build and verify signed offline runbooks.")
    app.add_typer(keys_app, name="keys", help="Create the runbook signing key and certificate.")
    from breakglass.notify.commands import notify_app

    app.add_typer(notify_app, name="notify", help="Send test notifications; run the dispatcher.")
    from breakglass.reviews.commands import drill_app, reviews_app, watch_command

    app.command("watch")(watch_command)
    app.add_typer(reviews_app, name="reviews", help="After-action reviews of emergency use.")
    app.add_typer(drill_app, name="drill", help="Pre-register drill windows.")
    from breakglass.audit_commands import audit_app

    app.add_typer(audit_app, name="audit", help="Verify the audit log; write signed checkpoints.")


_mount_subcommands()

SEVERITIES = ("critical", "high", "medium", "low", "info", "none")


@app.callback()
def _root(
    log_level: Annotated[str, typer.Option(help="debug, info, warning, error.")] = "warning",
    log_json: Annotated[bool, typer.Option(help="Logs as JSON lines on stderr.")] = False,
) -> None:
    from breakglass.logs import configure_logging

    configure_logging(log_level, json=log_json)


@app.command()
def check(
    config: ConfigOption = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table, json, sarif, csv, junit.")
    ] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report here.")
    ] = None,
    fail_on: Annotated[
        str, typer.Option(help="Exit 3 on a failure at or above this severity (or 'none').")
    ] = "high",
    store: Annotated[bool, typer.Option(help="Store the run (needed for drift).")] = True,
    show_pass: Annotated[bool, typer.Option(help="Table: list every passing finding.")] = False,
) -> None:
    """Check the emergency accounts and the tenant around them; report findings."""
    from breakglass.output import FORMATS

    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}", ExitCode.USAGE)
    if fail_on not in SEVERITIES:
        fail(f"--fail-on must be one of {', '.join(SEVERITIES)}", ExitCode.USAGE)
    settings = load(config)
    from breakglass.checking import run_check

    try:
        run = run_check(settings, store=store)
    except StoreError as exc:
        fail(str(exc), ExitCode.USAGE)
    _emit_report(run, fmt, output, show_pass=show_pass)
    raise typer.Exit(int(_check_exit(run, fail_on)))


def _emit_report(run: CheckRun, fmt: str, output: Path | None, *, show_pass: bool = False) -> None:
    from rich.console import Console

    from breakglass.output import render

    if fmt == "table":
        from breakglass.output._table import print_table

        if output:
            with output.open("w", encoding="utf-8") as fh:
                print_table(
                    run, Console(file=fh, width=160, color_system=None), show_pass=show_pass
                )
        else:
            print_table(run, Console(), show_pass=show_pass)
        return
    text = render(run, fmt)
    if output:
        output.write_text(text, encoding="utf-8")
        Console(stderr=True).print(f"report written to {output}")
    else:
        sys.stdout.write(text)


def _check_exit(run: CheckRun, fail_on: str) -> ExitCode:
    from breakglass.checks import Severity

    worst = run.worst_failure()
    if fail_on != "none" and worst is not None and worst.rank >= Severity(fail_on).rank:
        return ExitCode.FINDINGS
    if not run.complete:
        return ExitCode.INCOMPLETE
    return ExitCode.OK


@app.command()
def simulate(
    scenario: Annotated[Path, typer.Option(help="Scenario JSON file (see DESIGN §6).")],
    port: Annotated[int, typer.Option(help="Graph port (0 = any free port).")] = 0,
    config_out: Annotated[
        Path | None, typer.Option(help="Write a config pointing at the simulator.")
    ] = None,
) -> None:
    """Serve a simulated Entra tenant over HTTP until stopped."""
    from breakglass.errors import ScenarioError
    from breakglass.simulator import run

    try:
        run(scenario, port, config_out)
    except ScenarioError as exc:
        fail(f"scenario: {exc}", ExitCode.USAGE)


@app.command()
def demo(
    workdir: Annotated[
        Path, typer.Option(help="Where the demo keeps its config and database.")
    ] = Path("breakglass-demo"),
) -> None:
    """Run the whole product against the built-in simulated tenant."""
    from breakglass.demo import run_demo

    raise typer.Exit(int(run_demo(workdir)))


@app.command()
def permissions(config: ConfigOption = None) -> None:
    """List the Graph permissions breakglass needs and, against a tenant, which are missing."""
    from rich.console import Console
    from rich.table import Table

    from breakglass.permissions import REQUIRED_PERMISSIONS

    console = Console()
    granted: list[str] | None = None
    problem: str | None = None
    if config is not None or Path("breakglass.toml").exists():
        settings = load(config)
        from breakglass.graph import granted_permissions

        try:
            granted = granted_permissions(settings)
        except BreakglassError as exc:
            problem = str(exc)
        except Exception as exc:  # azure-identity raises its own types; report, never crash
            problem = f"could not obtain a token: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    table = Table(title="Microsoft Graph application permissions")
    table.add_column("Permission")
    table.add_column("Why")
    if granted is not None:
        table.add_column("Granted")
    missing = []
    for perm, why in REQUIRED_PERMISSIONS.items():
        row = [perm, why]
        if granted is not None:
            ok = perm in granted
            if not ok:
                missing.append(perm)
            row.append("yes" if ok else "[bold red]MISSING[/]")
        table.add_row(*row)
    console.print(table)
    if problem:
        fail(f"could not read the granted permissions: {problem}", ExitCode.INCOMPLETE)
    if granted is None and (config is not None):
        fail(
            "the access token carries no 'roles' claim; cannot tell what is granted",
            ExitCode.INCOMPLETE,
        )
    if missing:
        fail(f"missing: {', '.join(missing)}", ExitCode.INCOMPLETE)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Create or migrate the database to the latest schema."""
    settings = load(config)
    from breakglass.store.engine import make_engine, upgrade

    try:
        engine = make_engine(settings.store_url)
        upgrade(engine)
    except StoreError as exc:
        fail(str(exc), ExitCode.USAGE)
    from rich.console import Console

    Console(stderr=True).print("database is at the latest schema")


def main() -> None:
    """Entry point: map our errors to exit codes, never print a secret."""
    try:
        app()
    except ConfigError as exc:
        fail(f"configuration: {exc}", ExitCode.USAGE)
    except BreakglassError as exc:
        fail(str(exc), ExitCode.UNEXPECTED)
