"""``breakglass check`` and ``breakglass permissions``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, get_args

import typer

from breakglass.cli._common import ConfigOption, fail, load, writable_output
from breakglass.errors import BreakglassError, ConfigError, GraphUnavailableError, StoreError
from breakglass.exitcodes import ExitCode

if TYPE_CHECKING:
    from breakglass.checks import CheckRun

__all__ = ["check", "permissions"]

Severity = Literal["critical", "high", "medium", "low", "info", "none"]
#: ``breakglass.output.FORMATS`` (a test keeps them equal; importing it here is slow).
Format = Literal["table", "json", "sarif", "csv", "junit"]
SEVERITIES: tuple[str, ...] = get_args(Severity)
FORMATS: tuple[str, ...] = get_args(Format)


def check(
    config: ConfigOption = None,
    fmt: Annotated[
        Format, typer.Option("--format", "-f", case_sensitive=False, help="Report format.")
    ] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report here.")
    ] = None,
    fail_on: Annotated[
        Severity,
        typer.Option(
            case_sensitive=False, help="Exit 3 on a failure at or above this severity (or 'none')."
        ),
    ] = "high",
    store: Annotated[bool, typer.Option(help="Store the run (needed for drift).")] = True,
    show_pass: Annotated[bool, typer.Option(help="Table: list every passing finding.")] = False,
) -> None:
    """Check the emergency accounts and the tenant around them; report findings.

    Before the tenant is read: the output path, the configuration, the database and one
    token plus one Graph request (the preflight). When no token can be obtained or Graph
    cannot be reached, that is one line and exit 4; with a machine format the report (every
    finding ``error``) is still written.
    """
    writable_output(output)
    settings = load(config, accounts=True)
    from contextlib import ExitStack

    from breakglass.graph import preflight, unusable_credential

    with ExitStack() as stack:
        opened = None
        if store:
            from breakglass.store import Store

            try:
                opened = stack.enter_context(Store.open(settings.store_url))
            except StoreError as exc:
                fail(str(exc), ExitCode.USAGE)
        try:
            credential = preflight(settings)
            unavailable: GraphUnavailableError | None = None
        except GraphUnavailableError as exc:
            unavailable = exc
            if fmt == "table" and output is None:  # nothing was read: nothing to tabulate
                fail(f"{exc} (nothing was read)", ExitCode.INCOMPLETE)
            credential = unusable_credential(exc)
        from breakglass.jobs import run_check

        try:
            run = run_check(opened, settings, credential=credential)
        except StoreError as exc:
            fail(str(exc), ExitCode.USAGE)
    if unavailable is not None:
        _emit_report(run, fmt, output, show_pass=show_pass)
        fail(f"{unavailable} (nothing was read)", ExitCode.INCOMPLETE)
    _emit_report(run, fmt, output, show_pass=show_pass)
    raise typer.Exit(int(_check_exit(run, fail_on)))


def _emit_report(run: CheckRun, fmt: str, output: Path | None, *, show_pass: bool = False) -> None:
    from rich.console import Console

    from breakglass.output import render

    if fmt == "table":
        from breakglass.output import print_table

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


def permissions(config: ConfigOption = None) -> None:
    """List the Graph permissions breakglass needs and, against a tenant, which are missing.

    With a configuration (--config, $BREAKGLASS_CONFIG or ./breakglass.toml) the token is
    read and each permission is marked granted or MISSING; without one, only the list.
    """

    from rich.console import Console
    from rich.table import Table

    from breakglass.permissions import REQUIRED_PERMISSIONS, needed_by

    console = Console()
    granted: list[str] | None = None
    problem: str | None = None
    from breakglass.config import find_config

    configured = find_config(config) is not None
    if configured:
        settings = load(config)
        from breakglass.graph import granted_permissions

        try:
            granted = granted_permissions(settings)
        except ConfigError as exc:  # a missing certificate or CA bundle: fix the config
            fail(f"configuration: {exc}", ExitCode.USAGE)
        except BreakglassError as exc:
            problem = str(exc)
        except Exception as exc:  # azure-identity raises its own types; report, never crash
            problem = f"could not obtain a token: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    checks = needed_by()
    table = Table(title="Microsoft Graph application permissions")
    table.add_column("Permission")
    table.add_column("Why")
    table.add_column("Needed by")
    if granted is not None:
        table.add_column("Granted")
    missing = []
    for perm, why in REQUIRED_PERMISSIONS.items():
        row = [perm, why, ", ".join(checks.get(perm, ()))]
        if granted is not None:
            ok = perm in granted
            if not ok:
                missing.append(perm)
            row.append("yes" if ok else "[bold red]MISSING[/]")
        table.add_row(*row)
    console.print(table)
    if problem:
        fail(f"could not read the granted permissions: {problem}", ExitCode.INCOMPLETE)
    if granted is None and configured:
        fail(
            "the access token carries no 'roles' claim; cannot tell what is granted",
            ExitCode.INCOMPLETE,
        )
    if missing:
        fail(f"missing: {', '.join(missing)}", ExitCode.INCOMPLETE)
